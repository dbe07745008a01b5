package dev.mailcore.smtp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailcore.Attachment;
import dev.mailcore.Content;
import dev.mailcore.Credentials;
import dev.mailcore.DeliveryStatus;
import dev.mailcore.DsnOptions;
import dev.mailcore.EnhancedStatus;
import dev.mailcore.Envelope;
import dev.mailcore.MailAuthenticationException;
import dev.mailcore.MailCommandException;
import dev.mailcore.MailConnectionException;
import dev.mailcore.MailProtocolException;
import dev.mailcore.Mailbox;
import dev.mailcore.RecipientResult;
import dev.mailcore.TlsMode;
import dev.mailcore.smtp.testing.RecordedTransaction;
import dev.mailcore.smtp.testing.ScriptedSmtpServer;
import dev.mailcore.smtp.testing.SmtpStep;
import dev.mailcore.smtp.testing.SocketFault;
import dev.mailcore.smtp.testing.TestCertificates;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class SmtpSessionTest {
  private static final Mailbox FROM = Mailbox.of("ana", "shop.test");
  private static final Mailbox BOB = Mailbox.of("bob", "example.test");
  private static final Mailbox CAROL = Mailbox.of("carol", "example.test");
  private static final Mailbox DAN = Mailbox.of("dan", "example.test");

  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
  }

  private ScriptedSmtpServer start(ScriptedSmtpServer.Builder builder) throws Exception {
    ScriptedSmtpServer server = builder.start();
    toClose.add(server);
    return server;
  }

  private static SessionSettings.Builder plain() {
    return SessionSettings.builder()
        .tls(TlsMode.NONE)
        .connectTimeout(Duration.ofSeconds(5))
        .commandTimeout(Duration.ofSeconds(5))
        .dataTimeout(Duration.ofSeconds(5));
  }

  private SmtpSession open(ScriptedSmtpServer server, SessionSettings settings) {
    SmtpSession session = SmtpSession.open(server.address(), "localhost", settings);
    toClose.add(session);
    return session;
  }

  private static SmtpTransaction tx(String body, Mailbox... recipients) {
    return SmtpTransaction.of(
        Envelope.of(FROM, List.of(recipients)),
        MessageSource.of(Content.ofString(body, StandardCharsets.UTF_8)));
  }

  private static String message(int n) {
    return "Subject: test " + n + "\r\nFrom: ana@shop.test\r\n\r\nHello " + n + "\r\n";
  }

  @Test
  void pipelinesOneMessageToThreeRecipientsInTwoRoundTrips() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().pipelining(true));
    SmtpSession session = open(server, plain().build());

    TransactionResult result = session.send(tx(message(1), BOB, CAROL, DAN));

    assertThat(result.recipients()).extracting(RecipientResult::status).containsOnly(DeliveryStatus.DELIVERED);
    RecordedTransaction recorded = server.transactions().get(0);
    assertThat(recorded.recipientAddresses()).containsExactly(
        "bob@example.test", "carol@example.test", "dan@example.test");
    assertThat(recorded.roundTrips()).isEqualTo(2);
  }

  @Test
  void sendsOneMessageInOneRoundTripWithChunking() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().pipelining(true).chunking(true));
    SmtpSession session = open(server, plain().build());

    TransactionResult result = session.send(tx(message(1), BOB, CAROL, DAN));

    assertThat(result.isCompleted()).isTrue();
    assertThat(result.recipients()).allMatch(RecipientResult::isDelivered);
    RecordedTransaction recorded = server.transactions().get(0);
    assertThat(recorded.chunked()).isTrue();
    assertThat(recorded.roundTrips()).isEqualTo(1);
    assertThat(recorded.text()).isEqualTo(message(1));
  }

  @Test
  void waitsForEachReplyWithoutPipelining() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().pipelining(false));
    SmtpSession session = open(server, plain().build());

    session.send(tx(message(1), BOB, CAROL, DAN));

    // MAIL, three RCPT, DATA, end of data: each answered before the next command
    assertThat(server.transactions().get(0).roundTrips()).isEqualTo(6);
  }

  @Test
  void streamsTenMessagesInAboutOneRoundTrip() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().pipelining(true).chunking(true));
    SmtpSession session = open(server, plain().build());
    List<SmtpTransaction> batch = new ArrayList<>();
    for (int i = 1; i <= 10; i++) {
      batch.add(tx(message(i), BOB));
    }
    long before = server.roundTrips();

    List<TransactionResult> results = session.send(batch);

    assertThat(results).allMatch(r -> r.recipients().get(0).isDelivered());
    assertThat(server.transactions()).hasSize(10);
    assertThat(server.transactions()).extracting(RecordedTransaction::text)
        .containsExactly(batch.stream().map(t -> message(batch.indexOf(t) + 1)).toArray(String[]::new));
    assertThat(server.roundTrips() - before).isBetween(1L, 2L);
  }

  @Test
  void streamsOverDataWithOneRoundTripPerMessage() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().pipelining(true));
    SmtpSession session = open(server, plain().build());
    List<SmtpTransaction> batch = new ArrayList<>();
    for (int i = 1; i <= 10; i++) {
      batch.add(tx(message(i), BOB, CAROL));
    }
    long before = server.roundTrips();

    List<TransactionResult> results = session.send(batch);

    assertThat(results).allMatch(r -> r.recipients().stream().allMatch(RecipientResult::isDelivered));
    assertThat(server.transactions()).extracting(RecordedTransaction::text)
        .containsExactly(batch.stream().map(t -> message(batch.indexOf(t) + 1)).toArray(String[]::new));
    // one round trip per 354 plus the last final reply, instead of two per message
    assertThat(server.roundTrips() - before).isEqualTo(11);
  }

  @Test
  void streamingOffWaitsForEachMessage() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().pipelining(true).chunking(true));
    SmtpSession session = open(server, plain().maxUnacknowledged(1).build());
    List<SmtpTransaction> batch = new ArrayList<>();
    for (int i = 1; i <= 10; i++) {
      batch.add(tx(message(i), BOB));
    }
    long before = server.roundTrips();

    session.send(batch);

    assertThat(server.roundTrips() - before).isEqualTo(10);
  }

  @Test
  void dropAfterFifthBdatLastLeavesTheRestDeferredAndRetryable() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().pipelining(true).chunking(true));
    server.reply(SmtpStep.BDAT_LAST, 3, "554 5.6.0 Message content rejected");
    server.fault(SmtpStep.BDAT_LAST, 5, SocketFault.disconnectAfterReply());
    SmtpSession session = open(server, plain().build());
    List<SmtpTransaction> batch = new ArrayList<>();
    for (int i = 1; i <= 10; i++) {
      batch.add(tx(message(i), BOB));
    }

    List<TransactionResult> results = session.send(batch);

    assertThat(results).hasSize(10);
    for (int i = 0; i < 5; i++) {
      assertThat(results.get(i).isCompleted()).as("message %d", i + 1).isTrue();
    }
    assertThat(results.get(2).recipients().get(0).status()).isEqualTo(DeliveryStatus.FAILED);
    assertThat(results.get(2).recipients().get(0).replyCode()).hasValue(554);
    assertThat(List.of(0, 1, 3, 4)).allMatch(i -> results.get(i).recipients().get(0).isDelivered());
    for (int i = 5; i < 10; i++) {
      TransactionResult r = results.get(i);
      assertThat(r.isCompleted()).isFalse();
      assertThat(r.recipients().get(0).status()).isEqualTo(DeliveryStatus.DEFERRED);
      assertThat(r.failure()).isPresent();
    }
    assertThat(session.isUsable()).isFalse();
  }

  @Test
  void sendsToAcceptedRecipientsWhenOthersAreRefused() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().pipelining(true));
    server.replyToRecipient("carol@example.test", "550 5.1.1 No such user");
    server.replyToRecipient("dan@example.test", "452 4.2.2 Mailbox full");
    SmtpSession session = open(server, plain().build());

    TransactionResult result = session.send(tx(message(1), BOB, CAROL, DAN));

    assertThat(result.recipients()).extracting(RecipientResult::status)
        .containsExactly(DeliveryStatus.DELIVERED, DeliveryStatus.FAILED, DeliveryStatus.DEFERRED);
    RecipientResult carol = result.recipients().get(1);
    assertThat(carol.enhancedStatus()).contains(new EnhancedStatus(5, 1, 1));
    assertThat(carol.diagnostic()).contains("No such user");
    assertThat(carol.remoteHost()).contains("localhost");
    assertThat(server.transactions().get(0).recipientAddresses()).containsExactly("bob@example.test");
  }

  @Test
  void refusedMailFromAppliesToEveryRecipient() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().pipelining(true));
    server.reply(SmtpStep.MAIL, "451 4.3.0 Try again later");
    SmtpSession session = open(server, plain().build());

    TransactionResult result = session.send(tx(message(1), BOB, CAROL));

    assertThat(result.recipients()).allSatisfy(r -> {
      assertThat(r.status()).isEqualTo(DeliveryStatus.DEFERRED);
      assertThat(r.replyCode()).hasValue(451);
    });
    assertThat(server.transactions()).isEmpty();
    assertThat(session.isUsable()).isTrue();
  }

  @Test
  void refusedDataAppliesToEveryAcceptedRecipient() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().pipelining(false));
    server.reply(SmtpStep.DATA, "554 5.7.1 Rejected");
    SmtpSession session = open(server, plain().build());

    TransactionResult result = session.send(tx(message(1), BOB, CAROL));

    assertThat(result.recipients()).allSatisfy(r -> assertThat(r.replyCode()).hasValue(554));
    assertThat(result.recipients()).allSatisfy(r -> assertThat(r.status()).isEqualTo(DeliveryStatus.FAILED));
  }

  @Test
  void stuffsDotsAndNormalisesLineEnds() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().pipelining(true));
    SmtpSession session = open(server, plain().build());

    session.send(tx("Subject: x\n\n.\n..two\rbare CR\r\n.end", BOB));

    assertThat(server.transactions().get(0).text())
        .isEqualTo("Subject: x\r\n\r\n.\r\n..two\r\nbare CR\r\n.end\r\n");
  }

  @Test
  void normalisesLineEndsButDoesNotStuffWithChunking() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().chunking(true));
    SmtpSession session = open(server, plain().build());

    session.send(tx("Subject: x\n\n.\nline", BOB));

    assertThat(server.transactions().get(0).text()).isEqualTo("Subject: x\r\n\r\n.\r\nline\r\n");
  }

  @Test
  void sendsBigMessagesInSeveralChunks() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().chunking(true));
    SmtpSession session = open(server, plain().build());
    String big = "Subject: big\r\n\r\n" + "0123456789abcdef0123456789abcdef0123456789abcdef\r\n".repeat(5000);

    TransactionResult result = session.send(tx(big, BOB));

    assertThat(result.recipients().get(0).isDelivered()).isTrue();
    assertThat(server.count(SmtpStep.BDAT)).isGreaterThanOrEqualTo(3);
    assertThat(server.transactions().get(0).text()).isEqualTo(big);
  }

  @Test
  void aChunkRefusedWith5xxBeforeAHangUpFailsTheRecipientsWithThatReply() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().chunking(true));
    server.fault(SmtpStep.BDAT, 1, SocketFault.disconnectAfter("552 5.3.4 Message too big for system"));
    SmtpSession session = open(server, plain().build());
    String big = "Subject: big\r\n\r\n" + "0123456789abcdef0123456789abcdef0123456789abcdef\r\n".repeat(5000);

    TransactionResult result = session.send(tx(big, BOB));

    RecipientResult bob = result.recipients().get(0);
    assertThat(bob.status()).isEqualTo(DeliveryStatus.FAILED);
    assertThat(bob.replyCode()).hasValue(552);
    assertThat(bob.diagnostic()).contains("too big");
    assertThat(server.transactions()).isEmpty();
  }

  @Test
  void sendsNoFurtherChunkAfterARefusedOneAndGoesOnWithTheNextTransaction() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().chunking(true).pipelining(false));
    server.reply(SmtpStep.BDAT, 1, "552 5.3.4 Message too big for system");
    SmtpSession session = open(server, plain().build());
    String big = "Subject: big\r\n\r\n" + "0123456789abcdef0123456789abcdef0123456789abcdef\r\n".repeat(5000);

    TransactionResult refused = session.send(tx(big, BOB));
    TransactionResult next = session.send(tx(message(2), CAROL));

    assertThat(refused.recipients().get(0).status()).isEqualTo(DeliveryStatus.FAILED);
    assertThat(refused.recipients().get(0).replyCode()).hasValue(552);
    // RFC 3030 §2: no BDAT after a refused one; the big message had four more chunks
    assertThat(server.commands().stream().filter(c -> c.startsWith("BDAT")))
        .containsExactly("BDAT 65536", "BDAT " + message(2).length() + " LAST");
    assertThat(next.recipients().get(0).isDelivered()).isTrue();
    assertThat(server.transactions()).extracting(RecordedTransaction::text).containsExactly(message(2));
  }

  @Test
  void pipelinedChunksStopOnceARefusalHasArrived() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().chunking(true).pipelining(true));
    server.replyToRecipient("bob@example.test", "550 5.1.1 No such user");
    SmtpSession session = open(server, plain().build());
    // big enough that the client, writing, meets the refusal of its first chunk long before the end
    String huge = "Subject: huge\r\n\r\n" + "0123456789abcdef0123456789abcdef0123456789abcdef\r\n".repeat(400_000);

    TransactionResult refused = session.send(tx(huge, BOB));
    TransactionResult next = session.send(tx(message(2), CAROL));

    assertThat(refused.recipients().get(0).replyCode()).hasValue(550);
    assertThat(server.commands()).noneMatch(c -> c.startsWith("BDAT") && c.endsWith("LAST") && !c.equals(
        "BDAT " + message(2).length() + " LAST"));
    assertThat(next.recipients().get(0).isDelivered()).isTrue();
  }

  @Test
  void aResetWhileWaitingForAChunkReplyIsAConnectionFailureNotAnUnreadableMessage() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().chunking(true).pipelining(false));
    server.fault(SmtpStep.BDAT, 1, SocketFault.reset());
    SmtpSession session = open(server, plain().build());
    String big = "Subject: big\r\n\r\n" + "0123456789abcdef0123456789abcdef0123456789abcdef\r\n".repeat(5000);

    TransactionResult result = session.send(tx(big, BOB));

    RecipientResult bob = result.recipients().get(0);
    assertThat(bob.status()).isEqualTo(DeliveryStatus.DEFERRED);
    assertThat(bob.diagnostic()).doesNotContain("cannot read the message");
    assertThat(result.failure()).containsInstanceOf(MailConnectionException.class);
    assertThat(result.isRetrySafe()).isTrue();
  }

  @Test
  void fallsBackToHeloWhenEhloIsNotUnderstood() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder());
    server.reply(SmtpStep.EHLO, 1, "502 5.5.1 Command not implemented");
    SmtpSession session = open(server, plain().build());

    TransactionResult result = session.send(tx(message(1), BOB));

    assertThat(session.capabilities()).isEqualTo(Capabilities.NONE);
    assertThat(server.commands()).anyMatch(c -> c.startsWith("HELO "));
    assertThat(result.recipients().get(0).isDelivered()).isTrue();
  }

  @Test
  void refusedGreetingIsACommandFailure() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder());
    server.reply(SmtpStep.GREETING, "554 5.3.2 No service");

    assertThatThrownBy(() -> open(server, plain().build()))
        .isInstanceOfSatisfying(MailCommandException.class, e -> {
          assertThat(e.reply().code()).isEqualTo(554);
          assertThat(e.isPermanent()).isTrue();
        });
  }

  @Test
  void silentGreetingTimesOut() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder());
    server.fault(SmtpStep.GREETING, SocketFault.stall());

    assertThatThrownBy(() -> open(server, plain().commandTimeout(Duration.ofMillis(300)).build()))
        .isInstanceOf(MailConnectionException.class)
        .hasMessageContaining("within 300 ms");
  }

  @Test
  void slowTrickleOfAReplyTimesOutAsAWhole() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder());
    server.fault(SmtpStep.EHLO, SocketFault.slow(Duration.ofMillis(100)));

    assertThatThrownBy(() -> open(server, plain().commandTimeout(Duration.ofMillis(300)).build()))
        .isInstanceOf(MailConnectionException.class)
        .hasMessageContaining("within 300 ms");
  }

  @Test
  void silenceAfterTheDataLeavesRecipientsDeferredAndNotRetrySafe() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().pipelining(true));
    server.fault(SmtpStep.END_OF_DATA, SocketFault.stall());
    SmtpSession session = open(server, plain().dataTimeout(Duration.ofMillis(300)).build());

    TransactionResult result = session.send(tx(message(1), BOB));

    assertThat(result.recipients().get(0).status()).isEqualTo(DeliveryStatus.DEFERRED);
    assertThat(result.recipients().get(0).diagnostic()).contains("may have been delivered");
    assertThat(result.isRetrySafe()).isFalse();
    assertThat(result.failure()).get().isInstanceOf(MailConnectionException.class);
  }

  @Test
  void disconnectAtMailFromIsRetrySafe() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().pipelining(false));
    server.fault(SmtpStep.MAIL, SocketFault.disconnect());
    SmtpSession session = open(server, plain().build());

    TransactionResult result = session.send(tx(message(1), BOB, CAROL));

    assertThat(result.isRetrySafe()).isTrue();
    assertThat(result.recipients()).allMatch(r -> r.status() == DeliveryStatus.DEFERRED);
  }

  @Test
  void disconnectInTheMiddleOfDataDefersTheMessage() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().pipelining(true));
    server.fault(SmtpStep.DATA_BODY, SocketFault.disconnect());
    SmtpSession session = open(server, plain().build());

    TransactionResult result = session.send(tx(message(1) + "more\r\n".repeat(100), BOB));

    assertThat(result.isCompleted()).isFalse();
    assertThat(result.recipients().get(0).status()).isEqualTo(DeliveryStatus.DEFERRED);
    assertThat(server.transactions()).isEmpty();
  }

  @Test
  void endlessReplyLineFailsFastWithProtocolError() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder());
    server.fault(SmtpStep.EHLO, SocketFault.endlessLine());

    assertThatThrownBy(() -> open(server, plain().build()))
        .isInstanceOf(MailProtocolException.class)
        .hasMessageContaining("longer than 2048 bytes");
  }

  @Test
  void malformedReplyIsAProtocolError() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder());
    server.fault(SmtpStep.EHLO, SocketFault.raw("hello there"));

    assertThatThrownBy(() -> open(server, plain().build()))
        .isInstanceOf(MailProtocolException.class)
        .hasMessageContaining("malformed");
  }

  @Test
  void tooManyReplyLinesIsAProtocolError() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder());
    server.fault(SmtpStep.EHLO, SocketFault.raw("250-x\r\n".repeat(150) + "250 end"));

    assertThatThrownBy(() -> open(server, plain().build()))
        .isInstanceOf(MailProtocolException.class)
        .hasMessageContaining("more than 100 lines");
  }

  @Test
  void upgradesWithStartTlsAndSaysEhloAgain() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().startTls(TestCertificates.serverContext()));
    SmtpSession session = open(server,
        plain().tls(TlsMode.STARTTLS).sslContext(TestCertificates.clientContext()).build());

    TransactionResult result = session.send(tx(message(1), BOB));

    assertThat(session.isEncrypted()).isTrue();
    assertThat(server.count(SmtpStep.EHLO)).isEqualTo(2);
    assertThat(result.recipients().get(0).isDelivered()).isTrue();
  }

  @Test
  void repliesSentInPlainTextAfterTheStartTlsReplyAreRefusedAsAnInjection() throws Exception {
    // CVE-2011-0411: a man in the middle appends replies to the 220 so that they are read later as
    // if they had come through TLS
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().startTls(TestCertificates.serverContext()));
    server.reply(SmtpStep.STARTTLS, "220 2.0.0 Ready\r\n250-injected\r\n250 AUTH PLAIN");

    assertThatThrownBy(() -> open(server,
            plain().tls(TlsMode.STARTTLS).sslContext(TestCertificates.clientContext()).build()))
        .isInstanceOf(MailProtocolException.class)
        .hasMessageContaining("after its STARTTLS reply");
    assertThat(server.count(SmtpStep.EHLO)).isEqualTo(1);
  }

  @Test
  void keepsOnlyTheCapabilitiesAnnouncedOverTls() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().startTls(TestCertificates.serverContext()));
    SmtpSession session = open(server,
        plain().tls(TlsMode.STARTTLS).sslContext(TestCertificates.clientContext()).build());

    // the scripted server announces STARTTLS only before TLS
    assertThat(session.capabilities().has("STARTTLS")).isFalse();
    assertThat(session.capabilities().has("PIPELINING")).isTrue();
  }

  @Test
  void untrustedCertificateFailsWithoutDowngrade() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().startTls(TestCertificates.serverContext()));

    assertThatThrownBy(() -> open(server, plain().tls(TlsMode.STARTTLS_IF_OFFERED).build()))
        .isInstanceOfSatisfying(MailConnectionException.class, e -> {
          assertThat(e.getMessage()).contains("TLS handshake with localhost failed");
          assertThat(e.isPermanent()).isTrue();
        });
    assertThat(server.commands()).noneMatch(c -> c.startsWith("MAIL"));
  }

  @Test
  void wrongHostNameFailsTheHandshake() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().startTls(TestCertificates.serverContext()));
    SessionSettings settings = plain().tls(TlsMode.STARTTLS).sslContext(TestCertificates.clientContext()).build();

    assertThatThrownBy(() -> SmtpSession.open(server.address(), "mail.other.test", settings))
        .isInstanceOf(MailConnectionException.class)
        .hasMessageContaining("TLS handshake with mail.other.test failed");
  }

  @Test
  void requiredStartTlsMissingFailsBeforeAnyMail() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder());

    assertThatThrownBy(() -> open(server, plain().tls(TlsMode.STARTTLS).build()))
        .isInstanceOf(MailConnectionException.class)
        .hasMessageContaining("does not offer STARTTLS");
  }

  @Test
  void opportunisticTlsContinuesInPlainTextWhenNotOffered() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder());
    SmtpSession session = open(server, plain().tls(TlsMode.STARTTLS_IF_OFFERED).build());

    assertThat(session.isEncrypted()).isFalse();
    assertThat(session.send(tx(message(1), BOB)).recipients().get(0).isDelivered()).isTrue();
  }

  @Test
  void implicitTlsSpeaksTlsFromTheFirstByte() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().implicitTls(TestCertificates.serverContext()));
    SmtpSession session = open(server,
        plain().tls(TlsMode.IMPLICIT).sslContext(TestCertificates.clientContext()).build());

    assertThat(session.isEncrypted()).isTrue();
    assertThat(session.send(tx(message(1), BOB)).recipients().get(0).isDelivered()).isTrue();
  }

  @Test
  void refusesPlainTextAuthUnlessAllowed() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().auth("ana", "s3cret"));

    assertThatThrownBy(() -> open(server, plain().credentials(Credentials.password("ana", "s3cret")).build()))
        .isInstanceOf(MailAuthenticationException.class)
        .hasMessageContaining("unencrypted");
    assertThat(server.commands()).noneMatch(c -> c.startsWith("AUTH"));

    SmtpSession allowed = open(server,
        plain().credentials(Credentials.password("ana", "s3cret")).allowPlainTextAuth(true).build());
    assertThat(allowed.isAuthenticated()).isTrue();
  }

  @Test
  void authenticatesWithPlainOverStartTls() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder()
        .startTls(TestCertificates.serverContext()).auth("ana", "s3cret", "PLAIN").requireAuth(true));
    SmtpSession session = open(server, plain().tls(TlsMode.STARTTLS)
        .sslContext(TestCertificates.clientContext()).credentials(Credentials.password("ana", "s3cret")).build());

    assertThat(session.isAuthenticated()).isTrue();
    assertThat(session.send(tx(message(1), BOB)).recipients().get(0).isDelivered()).isTrue();
  }

  @Test
  void authenticatesWithLogin() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().auth("ana", "s3cret", "LOGIN"));
    SmtpSession session = open(server,
        plain().allowPlainTextAuth(true).credentials(Credentials.password("ana", "s3cret")).build());

    assertThat(session.isAuthenticated()).isTrue();
  }

  @Test
  void wrongPasswordIsAPermanentAuthenticationFailure() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().auth("ana", "s3cret"));

    assertThatThrownBy(() -> open(server,
            plain().allowPlainTextAuth(true).credentials(Credentials.password("ana", "wrong")).build()))
        .isInstanceOfSatisfying(MailAuthenticationException.class, e -> {
          assertThat(e.isPermanent()).isTrue();
          assertThat(e.getMessage()).contains("535").doesNotContain("wrong");
        });
  }

  @Test
  void asksForAFreshOAuthTokenOnceWhenTheFirstIsRejected() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().auth("ana", "fresh-token", "XOAUTH2"));
    AtomicInteger asked = new AtomicInteger();
    Credentials oauth = Credentials.oauth2("ana", () -> asked.incrementAndGet() == 1 ? "stale-token" : "fresh-token");

    SmtpSession session = open(server, plain().allowPlainTextAuth(true).credentials(oauth).build());

    assertThat(session.isAuthenticated()).isTrue();
    assertThat(asked).hasValue(2);
  }

  @Test
  void transcriptNeverShowsSecrets() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().auth("ana", "s3cret", "LOGIN"));
    List<String> lines = new CopyOnWriteArrayList<>();
    SmtpSession session = open(server, plain().allowPlainTextAuth(true)
        .transcript(TranscriptLogger.to(lines::add)).credentials(Credentials.password("ana", "s3cret")).build());
    session.send(tx(message(1), BOB));
    ScriptedSmtpServer plainServer = start(ScriptedSmtpServer.builder().auth("ana", "s3cret", "PLAIN"));
    open(plainServer, plain().allowPlainTextAuth(true)
        .transcript(TranscriptLogger.to(lines::add)).credentials(Credentials.password("ana", "s3cret")).build());

    String encodedPassword = java.util.Base64.getEncoder().encodeToString("s3cret".getBytes(StandardCharsets.UTF_8));
    String encodedUser = java.util.Base64.getEncoder().encodeToString("ana".getBytes(StandardCharsets.UTF_8));
    assertThat(lines).anyMatch(l -> l.contains("C: AUTH LOGIN"));
    assertThat(lines).anyMatch(l -> l.contains("C: AUTH PLAIN <redacted>"));
    assertThat(lines).anyMatch(l -> l.contains("RCPT TO:<bob@example.test>"));
    assertThat(lines).noneMatch(l -> l.contains("s3cret") || l.contains(encodedPassword) || l.contains(encodedUser));
    assertThat(lines).noneMatch(l -> l.contains("Hello 1"));
  }

  @Test
  void refusesAMessageOverTheServersSizeLimitWithoutSendingIt() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().size(100));
    SmtpSession session = open(server, plain().build());

    TransactionResult result = session.send(tx("Subject: x\r\n\r\n" + "x".repeat(200) + "\r\n", BOB));

    assertThat(result.recipients().get(0).status()).isEqualTo(DeliveryStatus.FAILED);
    assertThat(result.recipients().get(0).diagnostic()).contains("SIZE limit of 100 bytes");
    assertThat(server.commands()).noneMatch(c -> c.startsWith("MAIL"));
  }

  @Test
  void refusesAMessageRenderedWhileSendingThatIsOverTheSizeLimitBeforeMail() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().size(1000));
    SmtpSession session = open(server, plain().build());
    dev.mailcore.Message big = dev.mailcore.Message.builder().from(FROM).to(BOB).subject("big")
        .attach("big.bin", "application/octet-stream", new byte[5000]).build();

    TransactionResult result = session.send(SmtpTransaction.of(Envelope.of(big), big));

    assertThat(result.recipients().get(0).status()).isEqualTo(DeliveryStatus.FAILED);
    assertThat(result.recipients().get(0).diagnostic()).contains("SIZE limit of 1000 bytes");
    assertThat(server.commands()).noneMatch(c -> c.startsWith("MAIL"));
  }

  @Test
  void declaresTheSizeOfAMessageRenderedWhileSendingThatCouldBeNearTheLimit() throws Exception {
    // 5,000 characters of text could render to 45,000 bytes (nine per character) and more with
    // the headers, over the 60,000 limit: measured, and under it, so its size is declared
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().size(60_000));
    SmtpSession session = open(server, plain().build());
    dev.mailcore.Message near = dev.mailcore.Message.builder().from(FROM).to(BOB).subject("near")
        .text("Hello. ".repeat(715)).build();

    session.send(SmtpTransaction.of(Envelope.of(near), near));

    RecordedTransaction recorded = server.transactions().get(0);
    assertThat(recorded.mailFrom())
        .isEqualTo("<ana@shop.test> SIZE=" + recorded.data().length + " BODY=8BITMIME");
  }

  @Test
  void rendersAMessageFarUnderTheSizeLimitOnceAndSendsItWithoutSize() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().size(10_000_000));
    SmtpSession session = open(server, plain().build());
    byte[] pdf = new byte[20_000];
    java.util.concurrent.atomic.AtomicInteger opened = new java.util.concurrent.atomic.AtomicInteger();
    Content counted = Content.ofSource(() -> {
      opened.incrementAndGet();
      return new java.io.ByteArrayInputStream(pdf);
    }, pdf.length);
    dev.mailcore.Message small = dev.mailcore.Message.builder().from(FROM).to(BOB).subject("small")
        .text("Hello.").attach(Attachment.of("a.pdf", "application/pdf", counted)).build();

    TransactionResult result = session.send(SmtpTransaction.of(Envelope.of(small), small));

    assertThat(result.recipients().get(0).status()).isEqualTo(DeliveryStatus.DELIVERED);
    assertThat(opened).hasValue(1);
    assertThat(server.transactions().get(0).mailFrom()).isEqualTo("<ana@shop.test> BODY=8BITMIME");
  }

  @Test
  void declaresSizeAndEightBitMimeWhenOffered() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().size(0).eightBitMime(true));
    SmtpSession session = open(server, plain().build());

    session.send(tx(message(1), BOB));

    assertThat(server.transactions().get(0).mailFrom())
        .isEqualTo("<ana@shop.test> SIZE=" + message(1).length() + " BODY=8BITMIME");
  }

  @Test
  void needsSmtpUtf8FailsPermanentlyWhenTheServerLacksIt() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder());
    SmtpSession session = open(server, plain().build());

    TransactionResult result = session.send(tx(message(1), Mailbox.of("jösé", "example.test")));

    assertThat(result.recipients().get(0).status()).isEqualTo(DeliveryStatus.FAILED);
    assertThat(result.recipients().get(0).diagnostic()).contains("SMTPUTF8");
    assertThat(server.commands()).noneMatch(c -> c.startsWith("MAIL"));
  }

  @Test
  void usesSmtpUtf8OnlyWhenNeeded() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().smtpUtf8(true).eightBitMime(false));
    SmtpSession session = open(server, plain().build());

    session.send(tx(message(1), BOB));
    session.send(tx(message(2), Mailbox.of("jösé", "example.test")));

    assertThat(server.transactions()).extracting(RecordedTransaction::mailFrom)
        .containsExactly("<ana@shop.test>", "<ana@shop.test> SMTPUTF8");
    assertThat(server.transactions().get(1).recipientAddresses()).containsExactly("jösé@example.test");
  }

  @Test
  void utf8HeaderFieldsOfRenderedBytesFailPermanentlyWithoutSmtpUtf8() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().eightBitMime(true));
    SmtpSession session = open(server, plain().build());

    // an ASCII envelope: only the bytes tell that the headers are RFC 6532 UTF-8
    TransactionResult result =
        session.send(tx("Subject: Olá\r\nTo: jösé@example.test\r\n\r\nHi\r\n", BOB));

    assertThat(result.recipients().get(0).status()).isEqualTo(DeliveryStatus.FAILED);
    assertThat(result.recipients().get(0).diagnostic()).contains("SMTPUTF8", "header");
    assertThat(server.commands()).noneMatch(c -> c.startsWith("MAIL"));
    assertThat(session.isUsable()).isTrue();
  }

  @Test
  void declaresSmtpUtf8ForUtf8HeaderFieldsOfRenderedBytes() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().smtpUtf8(true).eightBitMime(true));
    SmtpSession session = open(server, plain().build());
    String message = "Subject: Olá\r\n\r\nHi\r\n";

    TransactionResult result = session.send(tx(message, BOB));

    assertThat(result.recipients().get(0).isDelivered()).isTrue();
    assertThat(server.transactions().get(0).mailFrom()).isEqualTo("<ana@shop.test> BODY=8BITMIME SMTPUTF8");
    assertThat(server.transactions().get(0).text()).isEqualTo(message);
  }

  @Test
  void eightBitBodyUnderAsciiHeadersNeedsNoSmtpUtf8() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().eightBitMime(true));
    SmtpSession session = open(server, plain().build());

    TransactionResult result =
        session.send(tx("Subject: x\r\nContent-Transfer-Encoding: 8bit\r\n\r\nOlá\r\n", BOB));

    assertThat(result.recipients().get(0).isDelivered()).isTrue();
    assertThat(server.transactions().get(0).mailFrom()).isEqualTo("<ana@shop.test> BODY=8BITMIME");
  }

  @Test
  void opensPreRenderedBytesOnceToScanTheHeadersAndSendThem() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().eightBitMime(true));
    SmtpSession session = open(server, plain().build());
    String message = "Subject: long\r\n\r\n" + "line of text\r\n".repeat(10_000);
    byte[] bytes = message.getBytes(StandardCharsets.US_ASCII);
    CountingContent counted = new CountingContent(bytes);

    TransactionResult result =
        session.send(
            SmtpTransaction.of(Envelope.of(FROM, List.of(BOB)), MessageSource.of(counted.content())));

    assertThat(result.recipients().get(0).isDelivered()).isTrue();
    assertThat(server.transactions().get(0).text()).isEqualTo(message);
    // one stream: the header section scanned first, the rest after DATA
    assertThat(counted.opened()).isEqualTo(1);
    assertThat(counted.closed()).isEqualTo(1);
    assertThat(counted.read()).isEqualTo(bytes.length);
  }

  @Test
  void sendsPreRenderedBytesWhoseHeaderSectionIsLongerThanOnePieceWhole() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().eightBitMime(true));
    SmtpSession session = open(server, plain().build());
    String message =
        "X-Long: " + "a".repeat(3000) + "\r\nX-Other: " + "b".repeat(3000) + "\r\nSubject: ol\u00e1\r\n"
            + "\r\nbody\r\n";
    CountingContent counted = new CountingContent(message.getBytes(StandardCharsets.UTF_8));

    TransactionResult result =
        session.send(
            SmtpTransaction.of(Envelope.of(FROM, List.of(BOB)), MessageSource.of(counted.content())));

    // the UTF-8 subject is past the first 4 KiB: found, and the server lacks SMTPUTF8
    assertThat(result.recipients().get(0).status()).isEqualTo(DeliveryStatus.FAILED);
    assertThat(result.recipients().get(0).diagnostic()).contains("SMTPUTF8");
    assertThat(counted.closed()).isEqualTo(counted.opened());

    ScriptedSmtpServer utf8 = start(ScriptedSmtpServer.builder().eightBitMime(true).smtpUtf8(true));
    TransactionResult sent =
        open(utf8, plain().build())
            .send(
                SmtpTransaction.of(
                    Envelope.of(FROM, List.of(BOB)), MessageSource.of(counted.content())));

    assertThat(sent.recipients().get(0).isDelivered()).isTrue();
    assertThat(utf8.transactions().get(0).mailFrom()).contains("SMTPUTF8");
    assertThat(utf8.transactions().get(0).text()).isEqualTo(message);
  }

  @Test
  void closesTheScannedStreamOfATransactionRefusedBeforeItsData() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().eightBitMime(true));
    server.reply(SmtpStep.MAIL, "550 5.7.1 sender refused");
    SmtpSession session = open(server, plain().build());
    CountingContent counted =
        new CountingContent("Subject: x\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII));

    TransactionResult result =
        session.send(
            SmtpTransaction.of(Envelope.of(FROM, List.of(BOB)), MessageSource.of(counted.content())));

    assertThat(result.recipients().get(0).status()).isEqualTo(DeliveryStatus.FAILED);
    assertThat(counted.opened()).isEqualTo(1);
    assertThat(counted.closed()).isEqualTo(1);
  }

  /** Content over bytes that counts the streams opened and closed and the bytes read. */
  private static final class CountingContent {
    private final byte[] bytes;
    private final java.util.concurrent.atomic.AtomicInteger opened =
        new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicInteger closed =
        new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicLong read =
        new java.util.concurrent.atomic.AtomicLong();

    CountingContent(byte[] bytes) {
      this.bytes = bytes;
    }

    Content content() {
      return Content.ofSource(
          () -> {
            opened.incrementAndGet();
            return new java.io.FilterInputStream(new java.io.ByteArrayInputStream(bytes)) {
              @Override
              public int read(byte[] b, int off, int len) throws java.io.IOException {
                int n = super.read(b, off, len);
                read.addAndGet(Math.max(0, n));
                return n;
              }

              @Override
              public void close() throws java.io.IOException {
                closed.incrementAndGet();
                super.close();
              }
            };
          },
          bytes.length);
    }

    int opened() {
      return opened.get();
    }

    int closed() {
      return closed.get();
    }

    long read() {
      return read.get();
    }
  }

  @Test
  void eightBitBodyFailsPermanentlyWithoutEightBitMime() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().eightBitMime(false).chunking(true));
    SmtpSession session = open(server, plain().build());
    String seven = "Subject: plain\r\n\r\nHello\r\n";

    List<TransactionResult> results = session.send(List.of(
        tx("Subject: x\r\nContent-Transfer-Encoding: 8bit\r\n\r\nOlá\r\n", BOB), tx(seven, CAROL)));

    RecipientResult bob = results.get(0).recipients().get(0);
    assertThat(bob.status()).isEqualTo(DeliveryStatus.FAILED);
    assertThat(bob.diagnostic()).contains("8-bit", "8BITMIME");
    // nothing of the 8-bit message reached the server; the next one went through
    assertThat(server.transactions()).extracting(RecordedTransaction::text).containsExactly(seven);
    assertThat(results.get(1).recipients().get(0).isDelivered()).isTrue();
  }

  @Test
  void eightBitBodyGoesToAServerThatOffersSmtpUtf8WithoutEightBitMime() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().eightBitMime(false).smtpUtf8(true));
    SmtpSession session = open(server, plain().build());
    String message = "Subject: x\r\nContent-Transfer-Encoding: 8bit\r\n\r\nOlá\r\n";

    TransactionResult result = session.send(tx(message, BOB));

    assertThat(result.recipients().get(0).isDelivered()).isTrue();
    assertThat(server.transactions().get(0).text()).isEqualTo(message);
    // without BODY=8BITMIME to offer, SMTPUTF8 is what declares the 8-bit data (RFC 6531 §3.1)
    assertThat(server.transactions().get(0).mailFrom()).isEqualTo("<ana@shop.test> SMTPUTF8");
  }

  @Test
  void envelopeCarriesIdnDomainsAsALabelsInSmtpUtf8TransactionsToo() throws Exception {
    // Postfix matches mydestination byte for byte: with xn--bcher-kva.test listed, a
    // RCPT TO:<bob@bücher.test> is refused "550 5.1.1 Recipient address rejected: bücher.test"
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().smtpUtf8(true).eightBitMime(true));
    SmtpSession session = open(server, plain().build());
    Mailbox jorg = Mailbox.of("jörg", "bücher.test");
    Mailbox bob = Mailbox.of("bob", "bücher.test");
    SmtpTransaction utf8 = SmtpTransaction.of(Envelope.of(jorg, List.of(bob, jorg)),
        MessageSource.of(Content.ofString(message(1), StandardCharsets.UTF_8)));
    SmtpTransaction ascii = SmtpTransaction.of(Envelope.of(FROM, List.of(bob)),
        MessageSource.of(Content.ofString(message(2), StandardCharsets.UTF_8)));

    session.send(utf8);
    session.send(ascii);

    assertThat(server.transactions()).extracting(RecordedTransaction::mailFrom)
        .containsExactly("<jörg@xn--bcher-kva.test> BODY=8BITMIME SMTPUTF8", "<ana@shop.test> BODY=8BITMIME");
    assertThat(server.transactions().get(0).recipientAddresses())
        .containsExactly("bob@xn--bcher-kva.test", "jörg@xn--bcher-kva.test");
    assertThat(server.transactions().get(1).recipientAddresses()).containsExactly("bob@xn--bcher-kva.test");
  }

  @Test
  void sendsDsnParametersWhenOffered() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().dsn(true).eightBitMime(false));
    SmtpSession session = open(server, plain().build());
    DsnOptions dsn = DsnOptions.notifyOn(DsnOptions.Notify.FAILURE, DsnOptions.Notify.DELAY)
        .withRet(DsnOptions.Ret.HDRS).withEnvelopeId("id+1=x");
    SmtpTransaction tx = SmtpTransaction.of(Envelope.of(FROM, List.of(BOB)).withDsn(dsn),
        MessageSource.of(Content.ofString(message(1), StandardCharsets.UTF_8)));

    session.send(tx);

    RecordedTransaction recorded = server.transactions().get(0);
    assertThat(recorded.mailFrom()).isEqualTo("<ana@shop.test> RET=HDRS ENVID=id+2B1+3Dx");
    assertThat(recorded.recipients())
        .containsExactly("<bob@example.test> NOTIFY=FAILURE,DELAY ORCPT=rfc822;bob@example.test");
  }

  @Test
  void omitsDsnParametersWhenNotOffered() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().eightBitMime(false));
    SmtpSession session = open(server, plain().build());
    SmtpTransaction tx = SmtpTransaction.of(
        Envelope.of(FROM, List.of(BOB)).withDsn(DsnOptions.notifyOn(DsnOptions.Notify.NEVER)),
        MessageSource.of(Content.ofString(message(1), StandardCharsets.UTF_8)));

    session.send(tx);

    assertThat(server.transactions().get(0).recipients()).containsExactly("<bob@example.test>");
  }

  @Test
  void sendsTheNullReversePathForBounces() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().eightBitMime(false));
    SmtpSession session = open(server, plain().build());

    session.send(SmtpTransaction.of(Envelope.ofBounce(List.of(BOB)),
        MessageSource.of(Content.ofString(message(1), StandardCharsets.UTF_8))));

    assertThat(server.transactions().get(0).mailFrom()).isEqualTo("<>");
  }

  @Test
  void resetsBetweenTransactionsOnAReusedSession() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().pipelining(true));
    SmtpSession session = open(server, plain().build());

    session.send(tx(message(1), BOB));
    long before = server.roundTrips();
    session.send(tx(message(2), BOB));

    assertThat(server.count(SmtpStep.RSET)).isEqualTo(1);
    assertThat(server.roundTrips() - before).isEqualTo(2);
    assertThat(server.transactions()).hasSize(2);
  }

  @Test
  void mailRefusedWith421BeforeAHangUpIsRetrySafeThoughPipelinedChunksWentOut() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().pipelining(true).chunking(true));
    server.fault(SmtpStep.MAIL, SocketFault.disconnectAfter("421 4.7.0 Too many connections"));
    SmtpSession session = open(server, plain().build());

    TransactionResult result = session.send(tx(message(1), BOB, CAROL));

    assertThat(result.isCompleted()).isFalse();
    assertThat(result.isRetrySafe()).isTrue();
    assertThat(result.recipients()).allSatisfy(r -> {
      assertThat(r.status()).isEqualTo(DeliveryStatus.DEFERRED);
      assertThat(r.replyCode()).hasValue(421);
    });
    assertThat(server.transactions()).isEmpty();
  }

  @Test
  void everyRecipientRefusedBeforeAHangUpIsRetrySafeThoughPipelinedChunksWentOut() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().pipelining(true).chunking(true));
    server.replyToRecipient("bob@example.test", "450 4.2.1 Try later");
    server.fault(SmtpStep.RCPT, 2, SocketFault.disconnectAfter("421 4.3.2 Shutting down"));
    SmtpSession session = open(server, plain().build());

    TransactionResult result = session.send(tx(message(1), BOB, CAROL));

    assertThat(result.isRetrySafe()).isTrue();
    assertThat(result.recipients()).extracting(r -> r.replyCode().orElse(0)).containsExactly(450, 421);
  }

  @Test
  void aHangUpAfterPipelinedChunksToAnAcceptedRecipientIsNotRetrySafe() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().pipelining(true).chunking(true));
    server.fault(SmtpStep.RCPT, 2, SocketFault.disconnectAfterReply());
    SmtpSession session = open(server, plain().build());

    TransactionResult result = session.send(tx(message(1), BOB, CAROL));

    // BOB and CAROL were accepted and the data went out: the server may have delivered it
    assertThat(result.isRetrySafe()).isFalse();
    assertThat(result.recipients()).allSatisfy(r -> assertThat(r.status()).isEqualTo(DeliveryStatus.DEFERRED));
  }

  @Test
  void unreadableSourceAbortsWithoutDeliveringAndIsRetrySafe() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().chunking(true));
    SmtpSession session = open(server, plain().build());
    SmtpTransaction broken = SmtpTransaction.of(Envelope.of(FROM, List.of(BOB)), out -> {
      out.write("Subject: x\r\n".getBytes(StandardCharsets.US_ASCII));
      throw new java.io.IOException("disk gone");
    });

    TransactionResult result = session.send(broken);

    assertThat(result.recipients().get(0).status()).isEqualTo(DeliveryStatus.DEFERRED);
    assertThat(result.recipients().get(0).diagnostic()).contains("disk gone");
    assertThat(result.isRetrySafe()).isTrue();
    assertThat(server.transactions()).isEmpty();
  }

  @Test
  void noopHealthCheckFailsOnADeadConnection() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder());
    server.fault(SmtpStep.NOOP, SocketFault.disconnect());
    SmtpSession session = open(server, plain().build());

    assertThat(session.noop(Duration.ofSeconds(2))).isFalse();
    assertThat(session.isUsable()).isFalse();
  }

  @Test
  void writeTheServerStopsReadingIsAbortedByTheWatchdog() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().pipelining(true));
    server.fault(SmtpStep.DATA_BODY, SocketFault.stall());
    WriteWatchdog watchdog = new WriteWatchdog(Duration.ofMillis(50));
    toClose.add(watchdog);
    SmtpSession session = open(server, plain().dataTimeout(Duration.ofMillis(300)).watchdog(watchdog).build());
    byte[] line = "0123456789012345678901234567890123456789012345678901234567890123456789\r\n"
        .getBytes(StandardCharsets.US_ASCII);
    SmtpTransaction endless = SmtpTransaction.of(Envelope.of(FROM, List.of(BOB)), out -> {
      out.write("Subject: huge\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      for (int i = 0; i < 4_000_000; i++) {
        out.write(line);
      }
    });

    TransactionResult result = session.send(endless);

    assertThat(result.recipients().get(0).status()).isEqualTo(DeliveryStatus.DEFERRED);
    assertThat(result.failure()).get().asString().contains("read nothing for 300 ms");
  }

  @Test
  void aReplyNobodyAskedForMakesTheSessionUnusableAndIsNotTakenForTheNextCommand() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().pipelining(true));
    server.reply(SmtpStep.END_OF_DATA, 1, "250 2.0.0 Ok: queued\r\n421 4.4.2 Idle too long, closing");
    SmtpSession session = open(server, plain().build());

    assertThat(session.send(tx(message(1), BOB)).recipients().get(0).isDelivered()).isTrue();
    assertThat(session.isUsable()).isFalse();
    TransactionResult next = session.send(tx(message(2), CAROL));

    assertThat(next.isCompleted()).isFalse();
    assertThat(next.isRetrySafe()).isTrue();
    assertThat(next.failure()).get().asString().contains("nobody asked for", "421");
    assertThat(server.count(SmtpStep.MAIL)).isEqualTo(1);
  }

  @Test
  void a3xxToTheEndOfTheDataIsNoDelivery() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().pipelining(true));
    server.reply(SmtpStep.END_OF_DATA, 1, "354 Go ahead");
    SmtpSession session = open(server, plain().build());

    TransactionResult result = session.send(tx(message(1), BOB));

    RecipientResult bob = result.recipients().get(0);
    assertThat(bob.status()).isEqualTo(DeliveryStatus.DEFERRED);
    assertThat(bob.diagnostic()).contains("354", "no reply to it");
    assertThat(result.failure()).containsInstanceOf(MailProtocolException.class);
  }

  @Test
  void a3xxToRcptIsNoAcceptance() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().pipelining(false));
    server.replyToRecipient("bob@example.test", "354 Go ahead");
    SmtpSession session = open(server, plain().build());

    TransactionResult result = session.send(tx(message(1), BOB));

    assertThat(result.recipients().get(0).isDelivered()).isFalse();
    assertThat(result.failure()).containsInstanceOf(MailProtocolException.class);
    assertThat(result.isRetrySafe()).isTrue();
    assertThat(server.count(SmtpStep.DATA)).isZero();
  }

  @Test
  void serverClosingWith421EndsTheSession() throws Exception {
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().pipelining(true));
    server.reply(SmtpStep.RCPT, 1, "421 4.3.2 Shutting down");
    SmtpSession session = open(server, plain().build());

    TransactionResult result = session.send(tx(message(1), BOB, CAROL));

    assertThat(result.recipients().get(0).status()).isEqualTo(DeliveryStatus.DEFERRED);
    assertThat(result.recipients().get(0).replyCode()).hasValue(421);
    assertThat(result.recipients().get(1).isDelivered()).isTrue();
    assertThat(session.isUsable()).isFalse();
  }

  @Test
  void connectsFromAndToChosenLoopbackAddresses() throws Exception {
    java.net.InetAddress second = java.net.InetAddress.getByName("127.0.0.2");
    ScriptedSmtpServer server = start(ScriptedSmtpServer.builder().bindAddress(second));
    SmtpSession session = open(server, plain()
        .localAddress(java.net.InetAddress.getByName("127.0.0.1")).ehloName("client.example.test").build());

    assertThat(session.address().getAddress()).isEqualTo(second);
    assertThat(server.commands()).contains("EHLO client.example.test");
  }
}
