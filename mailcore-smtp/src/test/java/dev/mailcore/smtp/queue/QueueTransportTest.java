package dev.mailcore.smtp.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mailcore.Content;
import dev.mailcore.Envelope;
import dev.mailcore.Mailbox;
import dev.mailcore.TlsMode;
import dev.mailcore.smtp.DirectSender;
import dev.mailcore.smtp.SmtpRelay;
import dev.mailcore.smtp.mx.TestDnsServer;
import dev.mailcore.testing.ManualClock;
import dev.mailcore.testing.ManualScheduler;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class QueueTransportTest {

  static final Mailbox ANA = Mailbox.of("ana", "shop.example");
  static final Mailbox BOB = Mailbox.of("bob", "example.net");
  static final Mailbox CAROL = Mailbox.of("carol", "example.net");

  @Test
  void relayTransportStreamsTheSameStoredBytesOnEveryAttempt(@TempDir Path dir) throws Exception {
    ManualClock clock = ManualClock.ofDefaults();
    ManualScheduler scheduler = new ManualScheduler(clock);
    RecordingListener listener = new RecordingListener();
    String text =
        "From: ana@shop.example\r\n"
            + "To: bob@example.net, carol@example.net\r\n"
            + "Subject: via the engine\r\n"
            + "Message-ID: <engine-1@shop.example>\r\n\r\n"
            + ".leading dot survives dot-stuffing\r\n"
            + "body\r\n";
    try (TestSmtpServer server = new TestSmtpServer();
        SmtpRelay relay =
            SmtpRelay.builder().host("127.0.0.1").port(server.port()).tls(TlsMode.NONE).build()) {
      server.replyToData("451 4.3.0 Try again later");
      server.alwaysReplyToRcpt(CAROL.address(), "550 5.1.1 <carol@example.net>: User unknown");
      try (MailQueue queue =
          MailQueue.builder()
              .store(FileQueueStore.open(dir))
              .transport(QueueTransport.relay(relay))
              .clock(clock)
              .scheduler(scheduler)
              .listener(listener)
              .build()) {
        QueueId id =
            queue.enqueue(
                Envelope.of(ANA, List.of(BOB, CAROL)),
                Content.ofString(text, StandardCharsets.UTF_8));
        listener.await("attempt", 1);
        scheduler.advance(Duration.ofMinutes(5));
        listener.await("finished", 2); // the message, then the report about carol

        assertThat(listener.count("bounced " + id + " [carol@example.net]")).isEqualTo(1);
        List<byte[]> data = server.dataSeen();
        assertThat(data).hasSizeGreaterThanOrEqualTo(2);
        assertThat(new String(data.get(0), StandardCharsets.UTF_8)).isEqualTo(text);
        assertThat(new String(data.get(1), StandardCharsets.UTF_8)).isEqualTo(text);
        TestSmtpServer.Received report = server.received().get(1);
        assertThat(report.reversePath()).isEmpty();
        Dsn dsn = Dsn.parse(report.data());
        assertThat(dsn.field(0, "Final-Recipient")).isEqualTo("rfc822; carol@example.net");
        assertThat(dsn.field(0, "Status")).isEqualTo("5.1.1");
        assertThat(dsn.field(0, "Diagnostic-Code")).contains("550 5.1.1");
      }
    }
  }

  @Test
  void routedTransportPicksTheRouteOfTheRecipientsDomain() throws Exception {
    RecordingListener listener = new RecordingListener();
    try (TestSmtpServer special = new TestSmtpServer();
        TestSmtpServer others = new TestSmtpServer();
        MailQueue queue =
            MailQueue.builder()
                .store(new InMemoryQueueStore())
                .transport(
                    QueueTransport.routed(
                        java.util.Map.of("Example.NET", new JakartaTransport(special.port())),
                        new JakartaTransport(others.port())))
                .listener(listener)
                .build()) {
      queue.enqueue(
          Envelope.of(ANA, List.of(BOB)),
          Content.ofString("Subject: a\r\n\r\nx\r\n", StandardCharsets.UTF_8));
      queue.enqueue(
          Envelope.of(ANA, List.of(Mailbox.of("dora", "example.org"))),
          Content.ofString("Subject: b\r\n\r\ny\r\n", StandardCharsets.UTF_8));
      listener.await("finished", 2);

      assertThat(special.received())
          .extracting(r -> r.recipients().get(0))
          .containsExactly("bob@example.net");
      assertThat(others.received())
          .extracting(r -> r.recipients().get(0))
          .containsExactly("dora@example.org");
    }
  }

  @Test
  void directTransportDeliversViaMxRetriesTheDeferredHostAndBouncesTheNullMxDomain(
      @TempDir Path dir) throws Exception {
    ManualClock clock = ManualClock.ofDefaults();
    ManualScheduler scheduler = new ManualScheduler(clock);
    RecordingListener listener = new RecordingListener();
    Mailbox dave = Mailbox.of("dave", "nullmx.test");
    Mailbox erin = Mailbox.of("erin", "greylist.test");
    String text =
        "From: ana@shop.example\r\n"
            + "To: erin@greylist.test, dave@nullmx.test\r\n"
            + "Subject: via MX\r\n"
            + "Message-ID: <mx-1@shop.example>\r\n\r\n"
            + "body\r\n";
    try (TestSmtpServer server = new TestSmtpServer();
        TestDnsServer dns =
            TestDnsServer.builder()
                .zone("greylist.test", "@ 300 IN MX 10 mx\nmx 300 IN A 127.0.0.1\n")
                .zone("shop.example", "@ 300 IN MX 10 mx\nmx 300 IN A 127.0.0.1\n")
                .zone("nullmx.test", "@ 300 IN MX 0 .\n")
                .start();
        DirectSender direct =
            DirectSender.builder()
                .resolver(dns.resolverBuilder().clock(clock).build())
                .mxPort(server.port())
                .tls(TlsMode.NONE)
                .ehloName("mta.shop.example")
                .connectTimeout(Duration.ofSeconds(2))
                .commandTimeout(Duration.ofSeconds(5))
                .dataTimeout(Duration.ofSeconds(5))
                .build()) {
      server.replyToData("451 4.7.1 Greylisted, try again later");
      try (MailQueue queue =
          MailQueue.builder()
              .store(FileQueueStore.open(dir))
              .transport(QueueTransport.direct(direct))
              .clock(clock)
              .scheduler(scheduler)
              .hostname("mta.shop.example")
              .listener(listener)
              .build()) {
        QueueId id =
            queue.enqueue(
                Envelope.of(ANA, List.of(erin, dave)),
                Content.ofString(text, StandardCharsets.UTF_8));
        listener.await("attempt " + id, 2); // one transaction per domain
        assertThat(listener.count("attempt " + id + " [dave@nullmx.test=FAILED]")).isEqualTo(1);
        assertThat(listener.count("attempt " + id + " [erin@greylist.test=DEFERRED]"))
            .isEqualTo(1);
        assertThat(server.received()).isEmpty();

        scheduler.advance(Duration.ofMinutes(5));
        listener.await("finished", 2); // the message, then the report about dave

        assertThat(listener.count("delivered " + id + " erin@greylist.test")).isEqualTo(1);
        assertThat(listener.count("bounced " + id + " [dave@nullmx.test]")).isEqualTo(1);
        List<TestSmtpServer.Received> got = server.received();
        assertThat(got).hasSize(2);
        assertThat(got.get(0).recipients()).containsExactly("erin@greylist.test");
        assertThat(new String(got.get(0).data(), StandardCharsets.UTF_8)).isEqualTo(text);
        assertThat(got.get(1).reversePath()).isEmpty();
        assertThat(got.get(1).recipients()).containsExactly("ana@shop.example");
        Dsn dsn = Dsn.parse(got.get(1).data());
        assertThat(dsn.field(0, "Final-Recipient")).isEqualTo("rfc822; dave@nullmx.test");
        assertThat(dsn.field(0, "Status")).isEqualTo("5.1.10");
        assertThat(queue.stats().isEmpty()).isTrue();
      }
    }
  }
}
