package dev.mailcore.smtp.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mailcore.Content;
import dev.mailcore.Envelope;
import dev.mailcore.Mailbox;
import dev.mailcore.TlsMode;
import dev.mailcore.smtp.SmtpRelay;
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
}
