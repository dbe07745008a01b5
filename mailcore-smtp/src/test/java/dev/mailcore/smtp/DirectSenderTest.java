package dev.mailcore.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import dev.mailcore.Content;
import dev.mailcore.DeliveryStatus;
import dev.mailcore.EnhancedStatus;
import dev.mailcore.Envelope;
import dev.mailcore.Mailbox;
import dev.mailcore.Message;
import dev.mailcore.RecipientResult;
import dev.mailcore.SendResult;
import dev.mailcore.TlsMode;
import dev.mailcore.smtp.mx.DnsFault;
import dev.mailcore.smtp.mx.StaticRoutes;
import dev.mailcore.smtp.mx.TestDnsServer;
import dev.mailcore.testing.ManualClock;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Delivery to GreenMail hosts on distinct loopback addresses, routed by the test DNS server. */
@Timeout(60)
class DirectSenderTest {
  private static final String MESSAGE =
      "From: ana@shop.example\r\n"
          + "To: bob@two.test\r\n"
          + "Subject: direct\r\n"
          + "Message-ID: <1@shop.example>\r\n\r\n"
          + "Hello.\r\n";
  private static final Mailbox ANA = Mailbox.of("ana", "shop.example");

  /** 127.0.0.4 has no server: connections to it are refused. */
  private static final List<String> LIVE =
      List.of("127.0.0.2", "127.0.0.3", "127.0.0.5", "127.0.0.6");

  private static int port;
  private static final Map<String, GreenMail> hosts = new LinkedHashMap<>();
  private static TestDnsServer dns;

  @BeforeAll
  static void start() throws IOException {
    port = LoopbackPorts.freeOnAll(LIVE);
    for (String ip : LIVE) {
      GreenMail g = new GreenMail(new ServerSetup(port, ip, ServerSetup.PROTOCOL_SMTP));
      g.start();
      hosts.put(ip, g);
    }
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
            .zone(
                "deadprimary.test",
                """
                @     300 IN MX 10 dead
                @     300 IN MX 20 backup
                dead  300 IN A 127.0.0.4
                backup 300 IN A 127.0.0.3
                """)
            .zone("other.test", "@ 300 IN MX 10 mx\nmx 300 IN A 127.0.0.5\n")
            .zone("xn--bcher-kva.example", "@ 300 IN MX 10 mx\nmx 300 IN A 127.0.0.6\n")
            .zone(
                "alldead.test",
                "@ 300 IN MX 10 a\n@ 300 IN MX 20 b\na 300 IN A 127.0.0.4\nb 300 IN A 127.0.0.4\n")
            .zone("nullmx.test", "@ 300 IN MX 0 .\n")
            .zone("nohost.test", "@ 300 IN MX 10 gone\n@ 300 IN MX 20 gone.other.test.\n")
            .zone("broken.test", "@ 300 IN MX 10 mx\nmx 300 IN A 127.0.0.2\n")
            .fault("broken.test", DnsFault.SERVFAIL)
            .start();
  }

  @AfterAll
  static void stop() {
    hosts.values().forEach(GreenMail::stop);
    dns.close();
  }

  @BeforeEach
  void purge() throws Exception {
    for (GreenMail g : hosts.values()) {
      g.purgeEmailFromAllMailboxes();
    }
  }

  private static DirectSender.Builder sender() {
    return DirectSender.builder()
        .resolver(
            dns.resolverBuilder().clock(ManualClock.ofDefaults()).random(new Random(7)).build())
        .mxPort(port)
        .ehloName("client.shop.example")
        .connectTimeout(Duration.ofSeconds(2))
        .commandTimeout(Duration.ofSeconds(5))
        .dataTimeout(Duration.ofSeconds(5));
  }

  private static SendResult send(DirectSender sender, Mailbox... recipients) {
    return sender.send(
        RenderedMessage.of(
            Envelope.of(ANA, List.of(recipients)),
            Content.ofString(MESSAGE, StandardCharsets.UTF_8)));
  }

  private static int received(String ip) {
    return hosts.get(ip).getReceivedMessages().length;
  }

  private static List<String> receivedBy(String ip) throws MessagingException {
    List<String> out = new ArrayList<>();
    for (MimeMessage m : hosts.get(ip).getReceivedMessages()) {
      out.add(m.getSubject());
    }
    return out;
  }

  @Test
  void deliversToThePreferredMxAndNamesIt() throws MessagingException {
    try (DirectSender sender = sender().build()) {
      SendResult result = send(sender, Mailbox.of("bob", "two.test"));

      RecipientResult bob = result.recipients().get(0);
      assertThat(bob.status()).isEqualTo(DeliveryStatus.DELIVERED);
      assertThat(bob.remoteHost()).contains("mx1.two.test");
      assertThat(bob.replyCode()).hasValue(250);
      assertThat(receivedBy("127.0.0.2")).containsExactly("direct");
      assertThat(received("127.0.0.3")).isZero();
    }
  }

  @Test
  void fallsBackToTheBackupWhenThePrimaryRefusesConnections() {
    try (DirectSender sender = sender().build()) {
      SendResult result = send(sender, Mailbox.of("carol", "deadprimary.test"));

      assertThat(result.recipients().get(0).status()).isEqualTo(DeliveryStatus.DELIVERED);
      assertThat(result.recipients().get(0).remoteHost()).contains("backup.deadprimary.test");
      assertThat(received("127.0.0.3")).isEqualTo(1);
    }
  }

  @Test
  void stopsAfterTheHostLimit() {
    try (DirectSender sender = sender().maxHosts(1).build()) {
      RecipientResult carol =
          send(sender, Mailbox.of("carol", "deadprimary.test")).recipients().get(0);

      assertThat(carol.status()).isEqualTo(DeliveryStatus.DEFERRED);
      assertThat(carol.remoteHost()).contains("dead.deadprimary.test");
      assertThat(received("127.0.0.3")).isZero();
    }
  }

  @Test
  void defersWithTheLastReasonWhenNoHostAnswers() {
    try (DirectSender sender = sender().build()) {
      RecipientResult dan = send(sender, Mailbox.of("dan", "alldead.test")).recipients().get(0);

      assertThat(dan.status()).isEqualTo(DeliveryStatus.DEFERRED);
      assertThat(dan.enhancedStatus()).contains(new EnhancedStatus(4, 4, 1));
      assertThat(dan.diagnostic()).contains("127.0.0.4");
      assertThat(dan.remoteHost()).isPresent();
    }
  }

  @Test
  void bouncesWhenDnsSaysNoMxHostHasAnAddress() {
    try (DirectSender sender = sender().build()) {
      RecipientResult fay = send(sender, Mailbox.of("fay", "nohost.test")).recipients().get(0);

      assertThat(fay.status()).isEqualTo(DeliveryStatus.FAILED);
      assertThat(fay.enhancedStatus()).contains(new EnhancedStatus(5, 4, 4));
      assertThat(fay.diagnostic()).contains("gone.nohost.test", "gone.other.test", "no such host");
      assertThat(fay.remoteHost()).isEmpty();
    }
  }

  @Test
  void deliversEachDomainToItsOwnHost() {
    try (DirectSender sender = sender().build()) {
      SendResult result =
          send(
              sender,
              Mailbox.of("bob", "two.test"),
              Mailbox.of("eve", "other.test"),
              Mailbox.of("bea", "two.test"));

      assertThat(result.isAllDelivered()).isTrue();
      assertThat(result.recipients())
          .extracting(r -> r.recipient().address(), r -> r.remoteHost().orElseThrow())
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("bob@two.test", "mx1.two.test"),
              org.assertj.core.groups.Tuple.tuple("eve@other.test", "mx.other.test"),
              org.assertj.core.groups.Tuple.tuple("bea@two.test", "mx1.two.test"));
      assertThat(received("127.0.0.2")).isEqualTo(2);
      assertThat(received("127.0.0.5")).isEqualTo(1);
    }
  }

  @Test
  void failsANullMxDomainWithoutConnecting() {
    try (DirectSender sender = sender().build()) {
      SendResult result =
          send(sender, Mailbox.of("x", "nullmx.test"), Mailbox.of("bob", "two.test"));

      RecipientResult x = result.recipients().get(0);
      assertThat(x.status()).isEqualTo(DeliveryStatus.FAILED);
      assertThat(x.enhancedStatus()).contains(EnhancedStatus.NULL_MX);
      assertThat(x.remoteHost()).isEmpty();
      assertThat(result.recipients().get(1).isDelivered()).isTrue();
    }
  }

  @Test
  void failsADomainThatDoesNotExist() {
    try (DirectSender sender = sender().build()) {
      RecipientResult x = send(sender, Mailbox.of("x", "nowhere.two.test")).recipients().get(0);

      assertThat(x.status()).isEqualTo(DeliveryStatus.FAILED);
      assertThat(x.enhancedStatus()).contains(new EnhancedStatus(5, 1, 2));
    }
  }

  @Test
  void defersWhenDnsFails() {
    try (DirectSender sender = sender().build()) {
      RecipientResult x = send(sender, Mailbox.of("x", "broken.test")).recipients().get(0);

      assertThat(x.status()).isEqualTo(DeliveryStatus.DEFERRED);
      assertThat(x.diagnostic()).contains("SERVFAIL");
      assertThat(received("127.0.0.2")).isZero();
    }
  }

  @Test
  void deliversToAnIdnDomainThroughItsAsciiMx() {
    try (DirectSender sender = sender().build()) {
      RecipientResult r = send(sender, Mailbox.of("leser", "bücher.example")).recipients().get(0);

      assertThat(r.status()).isEqualTo(DeliveryStatus.DELIVERED);
      assertThat(r.remoteHost()).contains("mx.xn--bcher-kva.example");
      assertThat(received("127.0.0.6")).isEqualTo(1);
    }
  }

  @Test
  void followsAStaticRouteInsteadOfTheMx() {
    StaticRoutes routes =
        StaticRoutes.builder().hosts("two.test", "127.0.0.4", "127.0.0.5").build();
    try (DirectSender sender = sender().routes(routes).build()) {
      RecipientResult bob = send(sender, Mailbox.of("bob", "two.test")).recipients().get(0);

      assertThat(bob.isDelivered()).isTrue();
      assertThat(bob.remoteHost()).contains("127.0.0.5");
      assertThat(received("127.0.0.2")).isZero();
      assertThat(received("127.0.0.5")).isEqualTo(1);
    }
  }

  @Test
  void sendsEverythingThroughTheDefaultRelay() {
    StaticRoutes routes = StaticRoutes.builder().defaultRelay("127.0.0.6", port).build();
    try (DirectSender sender = sender().routes(routes).build()) {
      SendResult result =
          send(sender, Mailbox.of("bob", "two.test"), Mailbox.of("x", "nullmx.test"));

      assertThat(result.isAllDelivered()).isTrue();
      assertThat(received("127.0.0.6")).isEqualTo(2);
    }
  }

  @Test
  void skipsHostsWithoutStartTlsWhenTheDomainRequiresIt() {
    try (DirectSender sender = sender().requireTls("two.test").build()) {
      RecipientResult bob = send(sender, Mailbox.of("bob", "two.test")).recipients().get(0);

      assertThat(bob.status()).isEqualTo(DeliveryStatus.DEFERRED);
      assertThat(bob.diagnostic()).containsIgnoringCase("tls");
      assertThat(received("127.0.0.2")).isZero();
      assertThat(received("127.0.0.3")).isZero();
    }
  }

  @Test
  void deliversInPlainTextWhenTlsIsOpportunisticAndNotOffered() {
    try (DirectSender sender = sender().tls(TlsMode.STARTTLS_IF_OFFERED).build()) {
      assertThat(send(sender, Mailbox.of("bob", "two.test")).isAllDelivered()).isTrue();
    }
  }

  @Test
  void refusesToSendWhenClosed() {
    DirectSender sender = sender().build();
    sender.close();

    assertThatThrownBy(() -> send(sender, Mailbox.of("bob", "two.test")))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void rendersAndDeliversAMessageToTheRecipientsItNames() throws Exception {
    Message message =
        Message.builder()
            .from(ANA)
            .to(Mailbox.of("bob", "two.test"))
            .bcc(Mailbox.of("eve", "other.test"))
            .subject("built")
            .text("Hello from the builder.")
            .build();
    try (DirectSender sender = sender().build()) {
      SendResult result = sender.send(message);

      assertThat(result.isAllDelivered()).isTrue();
    }
    assertThat(receivedBy("127.0.0.2")).containsExactly("built");
    assertThat(receivedBy("127.0.0.5")).containsExactly("built");
  }

  @Test
  void deliversAsynchronouslyAndTellsTheListener() throws Exception {
    List<String> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
    DeliveryListener listener =
        new DeliveryListener() {
          @Override
          public void sendStarted(Envelope envelope) {
            heard.add("started " + envelope.recipients().size());
          }

          @Override
          public void sendFinished(Envelope envelope, SendResult result, Duration elapsed) {
            heard.add("finished " + result.withStatus(DeliveryStatus.DELIVERED).size());
          }
        };
    try (DirectSender sender = sender().listener(listener).build()) {
      SendResult result =
          sender
              .sendAsync(
                  RenderedMessage.of(
                      Envelope.of(ANA, List.of(Mailbox.of("bob", "two.test"))),
                      Content.ofString(MESSAGE, StandardCharsets.UTF_8)))
              .get(30, java.util.concurrent.TimeUnit.SECONDS);

      assertThat(result.isAllDelivered()).isTrue();
    }
    assertThat(heard).containsExactly("started 1", "finished 1");
    assertThat(received("127.0.0.2")).isEqualTo(1);
  }
}
