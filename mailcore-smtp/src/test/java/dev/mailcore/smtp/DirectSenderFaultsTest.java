package dev.mailcore.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mailcore.Content;
import dev.mailcore.DeliveryStatus;
import dev.mailcore.Envelope;
import dev.mailcore.Mailbox;
import dev.mailcore.RecipientResult;
import dev.mailcore.SendResult;
import dev.mailcore.smtp.mx.TestDnsServer;
import dev.mailcore.smtp.testing.RecordedTransaction;
import dev.mailcore.smtp.testing.ScriptedSmtpServer;
import dev.mailcore.smtp.testing.SmtpStep;
import dev.mailcore.smtp.testing.SocketFault;
import dev.mailcore.smtp.testing.TestCertificates;
import dev.mailcore.testing.ManualClock;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Delivery to scripted SMTP servers on 127.0.0.2 (primary MX) and 127.0.0.3 (backup MX), same port:
 * greetings, recipient replies, TLS and broken connections, and which host took what.
 */
@Timeout(60)
class DirectSenderFaultsTest {
  private static final String MESSAGE =
      "From: ana@shop.example\r\nTo: bob@two.test\r\nSubject: faults\r\n\r\nHello.\r\n";
  private static final Mailbox ANA = Mailbox.of("ana", "shop.example");
  private static TestDnsServer dns;

  private final List<ScriptedSmtpServer> servers = new ArrayList<>();
  private int port;

  @BeforeAll
  static void startDns() {
    dns =
        TestDnsServer.builder()
            .zone(
                "two.test",
                """
                @    300 IN MX 10 mx1
                @    300 IN MX 20 mx2
                mx1  300 IN A 127.0.0.2
                mx2  300 IN A 127.0.0.3
                """)
            // the test certificate is for "localhost": an MX of that name can pass the TLS check
            .zone("tls.test", "@ 300 IN MX 10 localhost.\n")
            .zone("localhost", "@ 300 IN A 127.0.0.2\n")
            // "dual": a dead IPv4 address, then a live IPv6 one
            .zone(
                "v6.test",
                """
                @     300 IN MX 10 dual
                dual  300 IN A 127.0.0.4
                dual  300 IN AAAA ::1
                """)
            .start();
  }

  @AfterAll
  static void stopDns() {
    dns.close();
  }

  @BeforeEach
  void pickPort() throws IOException {
    port = LoopbackPorts.freeOnAll(List.of("127.0.0.2", "127.0.0.3", "::1"));
  }

  @AfterEach
  void stopServers() {
    servers.forEach(ScriptedSmtpServer::close);
  }

  private ScriptedSmtpServer server(String ip, UnaryOperator<ScriptedSmtpServer.Builder> setup)
      throws IOException {
    ScriptedSmtpServer s =
        setup
            .apply(
                ScriptedSmtpServer.builder()
                    .bindAddress(InetAddress.getByName(ip))
                    .port(port)
                    .hostname("host-" + ip)
                    .enhancedStatusCodes(true))
            .start();
    servers.add(s);
    return s;
  }

  private ScriptedSmtpServer server(String ip) throws IOException {
    return server(ip, b -> b);
  }

  private DirectSender.Builder sender() {
    return DirectSender.builder()
        .resolver(dns.resolverBuilder().clock(ManualClock.ofDefaults()).build())
        .mxPort(port)
        .ehloName("client.shop.example")
        .connectTimeout(Duration.ofSeconds(2))
        .commandTimeout(Duration.ofSeconds(2))
        .dataTimeout(Duration.ofSeconds(2));
  }

  private static SendResult send(DirectSender sender, List<Mailbox> recipients) {
    return sender.send(
        RenderedMessage.of(
            Envelope.of(ANA, recipients), Content.ofString(MESSAGE, StandardCharsets.UTF_8)));
  }

  private static Mailbox at(String local, String domain) {
    return Mailbox.of(local, domain);
  }

  private void assertTheBackupDeliversToBob(ScriptedSmtpServer primary, ScriptedSmtpServer backup) {
    try (DirectSender sender = sender().build()) {
      RecipientResult bob = send(sender, List.of(at("bob", "two.test"))).recipients().get(0);

      assertThat(bob.isDelivered()).isTrue();
      assertThat(bob.remoteHost()).contains("mx2.two.test");
    }
    assertThat(primary.transactions()).isEmpty();
    assertThat(backup.transactions()).hasSize(1);
  }

  /** A primary that offers STARTTLS, says go ahead, and hangs up: the handshake fails. */
  private ScriptedSmtpServer primaryBreakingTheTlsHandshake() throws IOException {
    return server("127.0.0.2", b -> b.startTls(TestCertificates.serverContext()))
        .fault(SmtpStep.STARTTLS, SocketFault.disconnectAfter("220 2.0.0 Ready to start TLS"));
  }

  /** The primary, asked for STARTTLS once, takes the message; the backup is never contacted. */
  private void assertThePrimaryDeliversToBobAfterStartTls(
      ScriptedSmtpServer primary, ScriptedSmtpServer backup) {
    try (DirectSender sender = sender().build()) {
      RecipientResult bob = send(sender, List.of(at("bob", "two.test"))).recipients().get(0);

      assertThat(bob.isDelivered()).isTrue();
      assertThat(bob.remoteHost()).contains("mx1.two.test");
    }
    assertThat(primary.count(SmtpStep.STARTTLS)).isEqualTo(1);
    assertThat(primary.transactions()).hasSize(1);
    assertThat(backup.connectionCount()).isZero();
  }

  private static void assertDeferred(RecipientResult r, int code, String text, String host) {
    assertThat(r.status()).isEqualTo(DeliveryStatus.DEFERRED);
    assertThat(r.replyCode()).hasValue(code);
    assertThat(r.diagnostic()).contains(text);
    assertThat(r.remoteHost()).contains(host);
  }

  /** Primaries that fail before they could have taken the message: the sender moves on. */
  static Stream<Arguments> primaryFailuresBeforeTheData() {
    return Stream.of(
        primaryThat(
            "greets with 421", p -> p.reply(SmtpStep.GREETING, "421 4.3.2 too busy, try later")),
        primaryThat(
            "greets with another 4xx", p -> p.reply(SmtpStep.GREETING, "450 4.7.1 greylisted")),
        primaryThat("greets with 554", p -> p.reply(SmtpStep.GREETING, "554 5.7.1 no service")),
        primaryThat(
            "drops the connection at MAIL", p -> p.fault(SmtpStep.MAIL, SocketFault.disconnect())),
        primaryThat("never greets", p -> p.fault(SmtpStep.GREETING, SocketFault.stall())));
  }

  private static Arguments primaryThat(String how, Consumer<ScriptedSmtpServer> fault) {
    return Arguments.of(how, fault);
  }

  @ParameterizedTest(name = "primary {0}")
  @MethodSource("primaryFailuresBeforeTheData")
  void movesToTheBackupWhenThePrimaryFailsBeforeTheData(
      String how, Consumer<ScriptedSmtpServer> fault) throws IOException {
    ScriptedSmtpServer primary = server("127.0.0.2");
    fault.accept(primary);
    ScriptedSmtpServer backup = server("127.0.0.3");

    try (DirectSender sender = sender().build()) {
      RecipientResult bob = send(sender, List.of(at("bob", "two.test"))).recipients().get(0);

      assertThat(bob.status()).isEqualTo(DeliveryStatus.DELIVERED);
      assertThat(bob.remoteHost()).contains("mx2.two.test");
    }
    assertThat(primary.transactions()).isEmpty();
    assertThat(backup.transactions())
        .singleElement()
        .extracting(RecordedTransaction::recipientAddresses)
        .isEqualTo(List.of("bob@two.test"));
  }

  @Test
  void movesToTheBackupWhenThePrimaryRefusesTheSenderTemporarily() throws IOException {
    ScriptedSmtpServer primary = server("127.0.0.2").reply(SmtpStep.MAIL, "451 4.3.0 try again later");
    ScriptedSmtpServer backup = server("127.0.0.3");

    try (DirectSender sender = sender().build()) {
      SendResult result = send(sender, List.of(at("bob", "two.test"), at("bea", "two.test")));

      assertThat(result.recipients())
          .allSatisfy(
              r -> {
                assertThat(r.status()).isEqualTo(DeliveryStatus.DELIVERED);
                assertThat(r.remoteHost()).contains("mx2.two.test");
              });
    }
    assertThat(primary.transactions()).isEmpty();
    assertThat(backup.transactions())
        .singleElement()
        .extracting(RecordedTransaction::recipientAddresses)
        .isEqualTo(List.of("bob@two.test", "bea@two.test"));
  }

  @Test
  void defersWithTheLastHostsReplyWhenEveryHostRefusesTheSenderTemporarily() throws IOException {
    server("127.0.0.2").reply(SmtpStep.MAIL, "451 4.3.0 primary says later");
    server("127.0.0.3").reply(SmtpStep.MAIL, "451 4.3.0 backup says later");

    try (DirectSender sender = sender().build()) {
      SendResult result = send(sender, List.of(at("bob", "two.test"), at("bea", "two.test")));

      assertThat(result.recipients())
          .allSatisfy(r -> assertDeferred(r, 451, "backup says later", "mx2.two.test"));
    }
  }

  @Test
  void movesToTheBackupWhenThePrimaryRefusesTheDataTemporarily() throws IOException {
    ScriptedSmtpServer primary =
        server("127.0.0.2").reply(SmtpStep.END_OF_DATA, "451 4.3.0 queue write failed");
    ScriptedSmtpServer backup = server("127.0.0.3");

    try (DirectSender sender = sender().build()) {
      RecipientResult bob = send(sender, List.of(at("bob", "two.test"))).recipients().get(0);

      assertThat(bob.isDelivered()).isTrue();
      assertThat(bob.remoteHost()).contains("mx2.two.test");
    }
    assertThat(backup.transactions()).hasSize(1);
  }

  @Test
  void defersWithTheLastGreetingWhenEveryHostRefuses() throws IOException {
    server("127.0.0.2").reply(SmtpStep.GREETING, "421 4.3.2 primary busy");
    server("127.0.0.3").reply(SmtpStep.GREETING, "421 4.3.2 backup busy");

    try (DirectSender sender = sender().build()) {
      RecipientResult bob = send(sender, List.of(at("bob", "two.test"))).recipients().get(0);

      assertThat(bob.status()).isEqualTo(DeliveryStatus.DEFERRED);
      assertThat(bob.replyCode()).hasValue(421);
      assertThat(bob.diagnostic()).contains("backup busy");
      assertThat(bob.remoteHost()).contains("mx2.two.test");
    }
  }

  @Test
  void failsARecipientThePrimaryRefusesWith5xxWithoutAskingTheBackup() throws IOException {
    ScriptedSmtpServer primary =
        server("127.0.0.2").replyToRecipient("nobody@two.test", "550 5.1.1 No such user");
    ScriptedSmtpServer backup = server("127.0.0.3");

    try (DirectSender sender = sender().build()) {
      SendResult result = send(sender, List.of(at("nobody", "two.test"), at("bob", "two.test")));

      RecipientResult nobody = result.recipients().get(0);
      assertThat(nobody.status()).isEqualTo(DeliveryStatus.FAILED);
      assertThat(nobody.replyCode()).hasValue(550);
      assertThat(nobody.enhancedStatus()).map(Object::toString).contains("5.1.1");
      assertThat(nobody.remoteHost()).contains("mx1.two.test");
      assertThat(result.recipients().get(1).isDelivered()).isTrue();
    }
    assertThat(primary.transactions())
        .singleElement()
        .extracting(RecordedTransaction::recipientAddresses)
        .isEqualTo(List.of("bob@two.test"));
    assertThat(backup.connectionCount()).isZero();
  }

  @Test
  void asksTheBackupOnlyForTheRecipientsThePrimaryRefusedWith4xx() throws IOException {
    ScriptedSmtpServer primary =
        server("127.0.0.2")
            .replyToRecipient("full@two.test", "452 4.2.2 Mailbox full")
            .replyToRecipient("nobody@two.test", "550 5.1.1 No such user");
    ScriptedSmtpServer backup = server("127.0.0.3");

    try (DirectSender sender = sender().build()) {
      SendResult result =
          send(sender, List.of(at("full", "two.test"), at("nobody", "two.test"), at("bob", "two.test")));

      assertThat(result.recipients().get(0).isDelivered()).isTrue();
      assertThat(result.recipients().get(0).remoteHost()).contains("mx2.two.test");
      assertThat(result.recipients().get(1).status()).isEqualTo(DeliveryStatus.FAILED);
      assertThat(result.recipients().get(1).remoteHost()).contains("mx1.two.test");
      assertThat(result.recipients().get(2).isDelivered()).isTrue();
      assertThat(result.recipients().get(2).remoteHost()).contains("mx1.two.test");
    }
    assertThat(primary.transactions())
        .singleElement()
        .extracting(RecordedTransaction::recipientAddresses)
        .isEqualTo(List.of("bob@two.test"));
    assertThat(backup.transactions())
        .singleElement()
        .extracting(RecordedTransaction::recipientAddresses)
        .isEqualTo(List.of("full@two.test"));
  }

  @Test
  void defersARecipientEveryHostRefusesWith4xxKeepingTheLastReply() throws IOException {
    server("127.0.0.2").replyToRecipient("full@two.test", "452 4.2.2 Mailbox full");
    server("127.0.0.3").replyToRecipient("full@two.test", "451 4.3.0 backup cannot relay yet");

    try (DirectSender sender = sender().build()) {
      RecipientResult full = send(sender, List.of(at("full", "two.test"))).recipients().get(0);

      assertDeferred(full, 451, "backup cannot relay yet", "mx2.two.test");
    }
  }

  @Test
  void keepsThePrimarysReplyWhenTheBackupCannotBeReached() throws IOException {
    server("127.0.0.2").replyToRecipient("full@two.test", "452 4.2.2 Mailbox full");
    // no server on 127.0.0.3: the backup refuses the connection

    try (DirectSender sender = sender().build()) {
      RecipientResult full = send(sender, List.of(at("full", "two.test"))).recipients().get(0);

      assertDeferred(full, 452, "Mailbox full", "mx1.two.test");
    }
  }

  @Test
  void splitsBeyondTheRecipientLimitIntoTransactionsOnOneConnection() throws IOException {
    ScriptedSmtpServer primary = server("127.0.0.2");
    List<Mailbox> five = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      five.add(at("r" + i, "two.test"));
    }

    try (DirectSender sender = sender().maxRecipientsPerTransaction(2).build()) {
      assertThat(send(sender, five).isAllDelivered()).isTrue();
    }
    assertThat(primary.transactions())
        .extracting(RecordedTransaction::recipientAddresses)
        .containsExactly(
            List.of("r1@two.test", "r2@two.test"),
            List.of("r3@two.test", "r4@two.test"),
            List.of("r5@two.test"));
    assertThat(primary.connectionCount()).isEqualTo(1);
  }

  @Test
  void sendsFiftyRecipientsPerTransactionByDefault() throws IOException {
    ScriptedSmtpServer primary = server("127.0.0.2");
    List<Mailbox> many = new ArrayList<>();
    for (int i = 1; i <= 51; i++) {
      many.add(at("r" + i, "two.test"));
    }

    try (DirectSender sender = sender().build()) {
      assertThat(send(sender, many).isAllDelivered()).isTrue();
    }
    assertThat(primary.transactions())
        .extracting(t -> t.recipients().size())
        .containsExactly(50, 1);
  }

  @Test
  void encryptsToAnUntrustedCertificateWhenTlsIsOpportunistic() throws IOException {
    // the primary offers STARTTLS with a certificate the client does not trust, as many MX do
    ScriptedSmtpServer primary =
        server("127.0.0.2", b -> b.startTls(TestCertificates.serverContext()));
    ScriptedSmtpServer backup = server("127.0.0.3");

    assertThePrimaryDeliversToBobAfterStartTls(primary, backup);
  }

  @Test
  void deliversInPlainTextToTheSameHostWhenAnOpportunisticTlsHandshakeFails() throws IOException {
    // the only MX offers STARTTLS, says go ahead, and breaks the handshake (a TLS stack the
    // client cannot talk to): unverified opportunistic TLS sends the mail without TLS instead of
    // deferring it for ever
    ScriptedSmtpServer primary =
        primaryBreakingTheTlsHandshake();
    ScriptedSmtpServer backup = server("127.0.0.3");

    assertThePrimaryDeliversToBobAfterStartTls(primary, backup);
  }

  @Test
  void movesOnWhenTheServerRefusesThePlainTextFallbackForWantOfTls() throws IOException {
    // the handshake fails, and without TLS the primary answers MAIL with 530 5.7.0 (RFC 3207):
    // not its final word, since TLS may work there next time; the backup is asked
    ScriptedSmtpServer primary =
        primaryBreakingTheTlsHandshake()
            .reply(SmtpStep.MAIL, "530 5.7.0 Must issue a STARTTLS command first");
    ScriptedSmtpServer backup = server("127.0.0.3");

    assertTheBackupDeliversToBob(primary, backup);
  }

  @Test
  void movesOnWhenAVerifiedOpportunisticTlsHandshakeFails() throws IOException {
    // the primary offers STARTTLS with a certificate the client does not trust
    ScriptedSmtpServer primary =
        server("127.0.0.2", b -> b.startTls(TestCertificates.serverContext()));
    ScriptedSmtpServer backup = server("127.0.0.3");

    try (DirectSender sender = sender().verifyOpportunisticTls(true).build()) {
      RecipientResult bob = send(sender, List.of(at("bob", "two.test"))).recipients().get(0);

      assertThat(bob.isDelivered()).isTrue();
      assertThat(bob.remoteHost()).contains("mx2.two.test");
    }
    assertThat(primary.count(SmtpStep.STARTTLS)).isEqualTo(1);
    assertThat(primary.transactions()).isEmpty();
    assertThat(backup.transactions()).hasSize(1);
  }

  @Test
  void deliversOverRequiredTlsWhenTheCertificateChecksOut() throws IOException {
    ScriptedSmtpServer mx = server("127.0.0.2", b -> b.startTls(TestCertificates.serverContext()));

    try (DirectSender sender =
        sender().requireTls("tls.test").sslContext(TestCertificates.clientContext()).build()) {
      RecipientResult bob = send(sender, List.of(at("bob", "tls.test"))).recipients().get(0);

      assertThat(bob.isDelivered()).isTrue();
      assertThat(bob.remoteHost()).contains("localhost");
    }
    assertThat(mx.count(SmtpStep.STARTTLS)).isEqualTo(1);
    assertThat(mx.transactions()).hasSize(1);
  }

  @Test
  void movesToTheBackupWhenAChunkingPrimaryRefusesMailWith421AndHangsUp() throws IOException {
    ScriptedSmtpServer primary =
        server("127.0.0.2", b -> b.chunking(true))
            .fault(SmtpStep.MAIL, SocketFault.disconnectAfter("421 4.7.0 Too many connections"));
    ScriptedSmtpServer backup = server("127.0.0.3");

    assertTheBackupDeliversToBob(primary, backup);
  }

  @Test
  void defersWithoutTryingTheBackupWhenTheDataMayHaveArrived() throws IOException {
    server("127.0.0.2").fault(SmtpStep.END_OF_DATA, SocketFault.disconnect());
    ScriptedSmtpServer backup = server("127.0.0.3");

    try (DirectSender sender = sender().build()) {
      RecipientResult bob = send(sender, List.of(at("bob", "two.test"))).recipients().get(0);

      assertThat(bob.status()).isEqualTo(DeliveryStatus.DEFERRED);
      assertThat(bob.remoteHost()).contains("mx1.two.test");
    }
    assertThat(backup.connectionCount()).isZero(); // no duplicate
  }

  @Test
  void triesTheNextAddressOfAHostOverIpv6() throws IOException {
    ScriptedSmtpServer six = server("::1");

    try (DirectSender sender = sender().build()) {
      RecipientResult bob = send(sender, List.of(at("bob", "v6.test"))).recipients().get(0);

      assertThat(bob.isDelivered()).isTrue();
      assertThat(bob.remoteHost()).contains("dual.v6.test");
    }
    assertThat(six.transactions())
        .singleElement()
        .extracting(RecordedTransaction::recipientAddresses)
        .isEqualTo(List.of("bob@v6.test"));
  }
}
