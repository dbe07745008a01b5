package dev.mailcore.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import dev.mailcore.Content;
import dev.mailcore.Credentials;
import dev.mailcore.DeliveryStatus;
import dev.mailcore.Envelope;
import dev.mailcore.MailAuthenticationException;
import dev.mailcore.MailConnectionException;
import dev.mailcore.MailFormatException;
import dev.mailcore.MailSender;
import dev.mailcore.MailSenders;
import dev.mailcore.Mailbox;
import dev.mailcore.Message;
import dev.mailcore.RecipientResult;
import dev.mailcore.SendResult;
import dev.mailcore.TlsMode;
import dev.mailcore.smtp.testing.RecordedTransaction;
import dev.mailcore.smtp.testing.ScriptedSmtpServer;
import dev.mailcore.smtp.testing.SmtpStep;
import dev.mailcore.smtp.testing.SocketFault;
import dev.mailcore.smtp.testing.TestCertificates;
import dev.mailcore.testing.ManualClock;
import jakarta.mail.internet.MimeMessage;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class SmtpRelayTest {
  private static final Mailbox FROM = Mailbox.of("ana", "shop.test");
  private static final Mailbox BOB = Mailbox.of("bob", "example.test");
  private static final Mailbox CAROL = Mailbox.of("carol", "example.test");

  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
  }

  private <T extends AutoCloseable> T closing(T resource) {
    toClose.add(resource);
    return resource;
  }

  private ScriptedSmtpServer server(ScriptedSmtpServer.Builder builder) throws Exception {
    return closing(builder.start());
  }

  private static SmtpRelay.Builder relayTo(ScriptedSmtpServer server) {
    return SmtpRelay.builder()
        .host("127.0.0.1")
        .port(server.port())
        .tls(TlsMode.NONE)
        .connectTimeout(Duration.ofSeconds(5))
        .commandTimeout(Duration.ofSeconds(5))
        .dataTimeout(Duration.ofSeconds(5));
  }

  private static RenderedMessage rendered(String subject, Mailbox... to) {
    String text = "From: ana@shop.test\r\nSubject: " + subject + "\r\n\r\nHello\r\n";
    return RenderedMessage.of(Envelope.of(FROM, List.of(to)), Content.ofString(text, StandardCharsets.UTF_8));
  }

  private static String subjectOf(RecordedTransaction t) {
    String text = t.text();
    int start = text.indexOf("Subject: ") + 9;
    return text.substring(start, text.indexOf("\r\n", start));
  }

  // ------------------------------------------------------------ GreenMail interop

  private GreenMail greenMail(String protocol) {
    GreenMail mail = new GreenMail(new ServerSetup(0, "127.0.0.1", protocol).dynamicPort());
    mail.start();
    mail.setUser("ana@shop.test", "ana", "s3cret");
    toClose.add(mail::stop);
    return mail;
  }

  @Test
  void deliversToGreenMailWithAuth() throws Exception {
    GreenMail mail = greenMail(ServerSetup.PROTOCOL_SMTP);
    SmtpRelay relay = closing(SmtpRelay.builder().host("127.0.0.1").port(mail.getSmtp().getPort())
        .tls(TlsMode.NONE).allowPlainTextAuth(true).credentials(Credentials.password("ana", "s3cret")).build());

    SendResult result = relay.send(rendered("interop", BOB, CAROL));

    assertThat(result.isAllDelivered()).isTrue();
    assertThat(result.recipients()).extracting(RecipientResult::recipient).containsExactly(BOB, CAROL);
    MimeMessage[] received = mail.getReceivedMessages();
    assertThat(received).hasSize(2);
    assertThat(received[0].getSubject()).isEqualTo("interop");
  }

  @Test
  void rendersAMessageWhileSendingIt() throws Exception {
    GreenMail mail = greenMail(ServerSetup.PROTOCOL_SMTP);
    SmtpRelay relay = closing(SmtpRelay.builder().host("127.0.0.1").port(mail.getSmtp().getPort())
        .tls(TlsMode.NONE).allowPlainTextAuth(true).credentials(Credentials.password("ana", "s3cret")).build());
    Message message = Message.builder().from(FROM).to(BOB).bcc(CAROL)
        .subject("Olá from the relay").text("Hello Bob\n.\nwith a lone dot line").build();

    SendResult result = relay.send(message);

    assertThat(result.isAllDelivered()).isTrue();
    assertThat(result.messageId()).isEqualTo(message.messageId());
    MimeMessage[] received = mail.getReceivedMessages();
    assertThat(received).hasSize(2);
    assertThat(received[0].getSubject()).isEqualTo("Olá from the relay");
    assertThat(received[0].getHeader("Bcc")).isNull();
    assertThat(String.valueOf(received[0].getContent()).replace("\r\n", "\n")).contains("\n.\nwith a lone dot line");
  }

  @Test
  void greenMailRefusingThePasswordIsAnAuthenticationFailure() throws Exception {
    GreenMail mail = greenMail(ServerSetup.PROTOCOL_SMTP);
    SmtpRelay relay = closing(SmtpRelay.builder().host("127.0.0.1").port(mail.getSmtp().getPort())
        .tls(TlsMode.NONE).allowPlainTextAuth(true).credentials(Credentials.password("ana", "wrong")).build());

    assertThatThrownBy(() -> relay.send(rendered("x", BOB)))
        .isInstanceOf(MailAuthenticationException.class)
        .hasMessageNotContaining("wrong");
    assertThat(mail.getReceivedMessages()).isEmpty();
  }

  @Test
  void deliversToGreenMailOverImplicitTls() throws Exception {
    GreenMail mail = greenMail(ServerSetup.PROTOCOL_SMTPS);
    SmtpRelay relay = closing(SmtpRelay.builder().host("127.0.0.1").port(mail.getSmtps().getPort())
        .tls(TlsMode.IMPLICIT).trustManager(new PinnedGreenMailCertificate())
        .credentials(Credentials.password("ana", "s3cret")).build());

    SendResult result = relay.send(rendered("over tls", BOB));

    assertThat(result.isAllDelivered()).isTrue();
    assertThat(mail.getReceivedMessages()).extracting(MimeMessage::getSubject).containsExactly("over tls");
  }

  @Test
  void greenMailOverTlsWithTheJdkTrustStoreFailsClearly() throws Exception {
    GreenMail mail = greenMail(ServerSetup.PROTOCOL_SMTPS);
    SmtpRelay relay = closing(SmtpRelay.builder().host("127.0.0.1").port(mail.getSmtps().getPort())
        .tls(TlsMode.IMPLICIT).build());

    assertThatThrownBy(() -> relay.send(rendered("x", BOB)))
        .isInstanceOfSatisfying(MailConnectionException.class, e -> assertThat(e.isPermanent()).isTrue());
  }

  // ------------------------------------------------------------ scripted server

  @Test
  void reusesOneSessionWithResetBetweenMessages() throws Exception {
    ScriptedSmtpServer server = server(ScriptedSmtpServer.builder().pipelining(true));
    SmtpRelay relay = closing(relayTo(server).build());

    for (int i = 0; i < 3; i++) {
      assertThat(relay.send(rendered("m" + i, BOB)).isAllDelivered()).isTrue();
    }

    assertThat(server.connectionCount()).isEqualTo(1);
    assertThat(server.count(SmtpStep.RSET)).isEqualTo(2);
  }

  /** The first message is delivered; the second meets the 554 meant for it, on a new session. */
  private static void assertTheSecondMessageGetsItsOwnRefusalOnAFreshSession(
      SmtpRelay relay, ScriptedSmtpServer server) {
    assertThat(relay.send(rendered("first", BOB)).isAllDelivered()).isTrue();
    RecipientResult second = relay.send(rendered("second", BOB)).recipients().get(0);

    assertThat(second.status()).isEqualTo(DeliveryStatus.FAILED);
    assertThat(second.replyCode()).hasValue(554);
    assertThat(server.connectionCount()).isEqualTo(2);
  }

  @Test
  void doesNotReuseASessionOnWhichTheServerSpokeUnasked() throws Exception {
    ScriptedSmtpServer server = server(ScriptedSmtpServer.builder().pipelining(true).chunking(true));
    // a server closing an idle connection says 421 unasked: read as the answer to the next command,
    // it would shift every later reply by one, and the second message's refusal would be lost
    server.reply(SmtpStep.BDAT_LAST, 1, "250 2.0.0 Ok: queued\r\n421 4.4.2 Idle too long, closing");
    server.reply(SmtpStep.BDAT_LAST, 2, "554 5.6.0 Message content rejected");
    SmtpRelay relay = closing(relayTo(server).build());

    assertTheSecondMessageGetsItsOwnRefusalOnAFreshSession(relay, server);
  }

  @Test
  void doesNotReuseATlsSessionOnWhichTheServerSpokeUnasked() throws Exception {
    // under TLS the socket counts only decrypted bytes: a 421 in a TLS record of its own, still
    // encrypted on the connection, must be seen all the same
    ScriptedSmtpServer server = server(ScriptedSmtpServer.builder().pipelining(true).chunking(true)
        .startTls(TestCertificates.serverContext()));
    server.fault(SmtpStep.BDAT_LAST, 1, SocketFault.thenUnasked("421 4.4.2 Idle too long, closing"));
    server.reply(SmtpStep.BDAT_LAST, 2, "554 5.6.0 Message content rejected");
    SmtpRelay relay = closing(SmtpRelay.builder().host("localhost").port(server.port())
        .tls(TlsMode.STARTTLS).trustManager(TestCertificates.trustManager())
        .commandTimeout(Duration.ofSeconds(5)).build());

    assertTheSecondMessageGetsItsOwnRefusalOnAFreshSession(relay, server);
  }

  @Test
  void opensANewSessionAfterTheMessageLimit() throws Exception {
    ScriptedSmtpServer server = server(ScriptedSmtpServer.builder());
    SmtpRelay relay = closing(relayTo(server).maxMessagesPerSession(2).build());

    for (int i = 0; i < 5; i++) {
      relay.send(rendered("m" + i, BOB));
    }

    assertThat(server.connectionCount()).isEqualTo(3);
    assertThat(server.count(SmtpStep.QUIT)).isGreaterThanOrEqualTo(2);
  }

  @Test
  void closesIdleSessionsAndChecksReusedOnesWithNoop() throws Exception {
    ScriptedSmtpServer server = server(ScriptedSmtpServer.builder());
    ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
    SmtpRelay relay = closing(relayTo(server).clock(clock)
        .healthCheckAfterIdle(Duration.ofSeconds(5)).idleTimeout(Duration.ofSeconds(60)).build());

    relay.send(rendered("first", BOB));
    clock.advance(Duration.ofSeconds(10));
    relay.send(rendered("after a short pause", BOB));
    assertThat(server.count(SmtpStep.NOOP)).isEqualTo(1);
    assertThat(server.connectionCount()).isEqualTo(1);

    clock.advance(Duration.ofMinutes(2));
    relay.send(rendered("after a long pause", BOB));
    assertThat(server.connectionCount()).isEqualTo(2);
    assertThat(server.count(SmtpStep.QUIT)).isEqualTo(1);
  }

  @Test
  void retriesOnceOnAFreshSessionWhenTheServerCannotHaveTakenTheMessage() throws Exception {
    ScriptedSmtpServer server = server(ScriptedSmtpServer.builder());
    server.fault(SmtpStep.MAIL, 1, SocketFault.disconnect());
    SmtpRelay relay = closing(relayTo(server).build());

    SendResult result = relay.send(rendered("retried", BOB));

    assertThat(result.isAllDelivered()).isTrue();
    assertThat(server.connectionCount()).isEqualTo(2);
    assertThat(server.transactions()).hasSize(1);
  }

  @Test
  void neverResendsAMessageTheServerMayHaveTaken() throws Exception {
    ScriptedSmtpServer server = server(ScriptedSmtpServer.builder());
    server.fault(SmtpStep.END_OF_DATA, 1, SocketFault.disconnect());
    SmtpRelay relay = closing(relayTo(server).build());

    SendResult result = relay.send(rendered("maybe delivered", BOB));

    assertThat(result.recipients().get(0).status()).isEqualTo(DeliveryStatus.DEFERRED);
    assertThat(result.recipients().get(0).diagnostic()).contains("may have been delivered");
    assertThat(server.count(SmtpStep.MAIL)).isEqualTo(1);
  }

  @Test
  void temporaryGreetingRefusalDefersEveryRecipient() throws Exception {
    ScriptedSmtpServer server = server(ScriptedSmtpServer.builder());
    server.reply(SmtpStep.GREETING, "421 4.3.2 Too busy");
    SmtpRelay relay = closing(relayTo(server).build());

    SendResult result = relay.send(rendered("busy", BOB, CAROL));

    assertThat(result.recipients()).allSatisfy(r -> {
      assertThat(r.status()).isEqualTo(DeliveryStatus.DEFERRED);
      assertThat(r.replyCode()).hasValue(421);
    });
  }

  @Test
  void unreachableServerDefersEveryRecipient() throws Exception {
    ScriptedSmtpServer server = server(ScriptedSmtpServer.builder());
    SmtpRelay.Builder builder = relayTo(server);
    server.close();
    SmtpRelay relay = closing(builder.build());

    SendResult result = relay.send(rendered("nowhere", BOB));

    assertThat(result.recipients().get(0).status()).isEqualTo(DeliveryStatus.DEFERRED);
    assertThat(result.recipients().get(0).reply()).isEmpty();
    assertThat(result.recipients().get(0).diagnostic()).contains("cannot connect");
  }

  @Test
  void untrustedStartTlsCertificateFailsWithoutDowngrade() throws Exception {
    ScriptedSmtpServer server = server(ScriptedSmtpServer.builder().startTls(TestCertificates.serverContext()));
    SmtpRelay relay = closing(relayTo(server).tls(TlsMode.STARTTLS).build());

    assertThatThrownBy(() -> relay.send(rendered("x", BOB))).isInstanceOf(MailConnectionException.class);
    assertThat(server.commands()).noneMatch(c -> c.startsWith("MAIL"));
  }

  @Test
  void trustedStartTlsWithAuthDelivers() throws Exception {
    ScriptedSmtpServer server = server(ScriptedSmtpServer.builder()
        .startTls(TestCertificates.serverContext()).auth("ana", "s3cret").requireAuth(true));
    SmtpRelay relay = closing(SmtpRelay.builder().host("localhost").port(server.port())
        .trustManager(TestCertificates.trustManager()).credentials(Credentials.password("ana", "s3cret")).build());

    assertThat(relay.send(rendered("secure", BOB)).isAllDelivered()).isTrue();
  }

  @Test
  void plainTextAuthIsRefusedUnlessAllowed() throws Exception {
    ScriptedSmtpServer server = server(ScriptedSmtpServer.builder().auth("ana", "s3cret"));
    SmtpRelay relay = closing(relayTo(server).credentials(Credentials.password("ana", "s3cret")).build());

    assertThatThrownBy(() -> relay.send(rendered("x", BOB)))
        .isInstanceOf(MailAuthenticationException.class)
        .hasMessageContaining("unencrypted");
    assertThat(server.commands()).noneMatch(c -> c.startsWith("AUTH"));
  }

  @Test
  void smtpUtf8WithoutServerSupportIsAFormatError() throws Exception {
    ScriptedSmtpServer server = server(ScriptedSmtpServer.builder());
    SmtpRelay relay = closing(relayTo(server).build());

    assertThatThrownBy(() -> relay.send(rendered("x", Mailbox.of("jösé", "example.test"))))
        .isInstanceOf(MailFormatException.class)
        .hasMessageContaining("SMTPUTF8");
  }

  @Test
  void sendAllStreamsAndKeepsTheOrder() throws Exception {
    ScriptedSmtpServer server = server(ScriptedSmtpServer.builder().pipelining(true).chunking(true));
    server.replyToRecipient("carol@example.test", "550 5.1.1 No such user");
    SmtpRelay relay = closing(relayTo(server).maxConnections(1).build());
    List<RenderedMessage> messages = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      messages.add(rendered("bulk " + i, i % 2 == 0 ? BOB : CAROL));
    }

    List<SendResult> results = relay.sendAllRendered(messages);

    assertThat(results).hasSize(20);
    for (int i = 0; i < 20; i++) {
      assertThat(results.get(i).recipients().get(0).status())
          .isEqualTo(i % 2 == 0 ? DeliveryStatus.DELIVERED : DeliveryStatus.FAILED);
    }
    assertThat(server.transactions()).extracting(SmtpRelayTest::subjectOf)
        .containsExactly("bulk 0", "bulk 2", "bulk 4", "bulk 6", "bulk 8", "bulk 10", "bulk 12", "bulk 14",
            "bulk 16", "bulk 18");
  }

  @Test
  void listenerHearsOfEveryMessageOnce() throws Exception {
    ScriptedSmtpServer server = server(ScriptedSmtpServer.builder());
    AtomicInteger started = new AtomicInteger();
    List<SendResult> finished = new java.util.concurrent.CopyOnWriteArrayList<>();
    SmtpRelay relay = closing(relayTo(server).listener(new DeliveryListener() {
      @Override
      public void sendStarted(Envelope envelope) {
        started.incrementAndGet();
      }

      @Override
      public void sendFinished(Envelope envelope, SendResult result, Duration elapsed) {
        finished.add(result);
      }
    }).build());

    relay.sendAllRendered(List.of(rendered("a", BOB), rendered("b", BOB), rendered("c", CAROL)));

    assertThat(started).hasValue(3);
    assertThat(finished).hasSize(3).allMatch(SendResult::isAllDelivered);
  }

  @Test
  void concurrentSendersAreEachAccountedForOnceWithoutLeakedConnections() throws Exception {
    ScriptedSmtpServer server = server(ScriptedSmtpServer.builder().pipelining(true).chunking(true));
    SmtpRelay relay = relayTo(server).maxConnections(4).maxMessagesPerSession(300).build();
    int threads = 16;
    int perThread = 125;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch go = new CountDownLatch(1);
    Set<String> sent = ConcurrentHashMap.newKeySet();
    List<Future<Integer>> futures = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      futures.add(pool.submit(() -> {
        go.await();
        int delivered = 0;
        for (int i = 0; i < perThread; i++) {
          String subject = "t" + thread + "-m" + i;
          SendResult r = i % 2 == 0
              ? relay.send(rendered(subject, BOB))
              : relay.sendAsync(rendered(subject, BOB)).join();
          sent.add(subject);
          delivered += r.isAllDelivered() ? 1 : 0;
        }
        return delivered;
      }));
    }
    go.countDown();
    int delivered = 0;
    for (Future<Integer> f : futures) {
      delivered += f.get();
    }
    pool.shutdown();
    relay.close();

    assertThat(delivered).isEqualTo(threads * perThread);
    List<String> received = server.transactions().stream().map(SmtpRelayTest::subjectOf).toList();
    assertThat(received).hasSize(threads * perThread);
    assertThat(new HashSet<>(received)).isEqualTo(sent);
    assertThat(server.peakConnections()).isBetween(1, 4);
    assertThat(server.awaitNoOpenConnections(Duration.ofSeconds(10))).isTrue();
    assertThat(relay.openConnections()).isZero();
  }

  @Test
  void closeDrainsSubmittedMessages() throws Exception {
    ScriptedSmtpServer server = server(ScriptedSmtpServer.builder());
    SmtpRelay relay = relayTo(server).maxConnections(2).build();
    List<java.util.concurrent.CompletableFuture<SendResult>> futures = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      futures.add(relay.sendAsync(rendered("drain " + i, BOB)));
    }

    relay.close();

    assertThat(futures).allMatch(f -> f.isDone() && f.join().isAllDelivered());
    assertThat(server.transactions()).hasSize(50);
    assertThatThrownBy(() -> relay.send(rendered("late", BOB))).isInstanceOf(IllegalStateException.class);
    assertThat(server.awaitNoOpenConnections(Duration.ofSeconds(10))).isTrue();
  }

  @Test
  void opensThroughMailSendersForAnSmtpUri() throws Exception {
    try (MailSender sender = MailSenders.open(URI.create("smtp://relay.example.test:2525"), Optional.empty())) {
      assertThat(sender).isInstanceOf(SmtpRelay.class);
      assertThat(((SmtpRelay) sender).toBuilder()).isNotNull();
    }
  }

  /** Trusts exactly GreenMail's self-signed certificate, whatever host name it is reached by. */
  private static final class PinnedGreenMailCertificate extends X509ExtendedTrustManager {
    private final X509Certificate pinned;

    PinnedGreenMailCertificate() throws Exception {
      try (InputStream in = GreenMail.class.getClassLoader().getResourceAsStream("greenmail.p12")) {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(in, "changeit".toCharArray());
        pinned = (X509Certificate) store.getCertificate(store.aliases().nextElement());
      }
    }

    private void check(X509Certificate[] chain) throws CertificateException {
      if (chain.length == 0 || !chain[0].equals(pinned)) {
        throw new CertificateException("not GreenMail's certificate");
      }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      check(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      check(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      check(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      throw new CertificateException("client side only");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      throw new CertificateException("client side only");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      throw new CertificateException("client side only");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[] {pinned};
    }
  }
}
