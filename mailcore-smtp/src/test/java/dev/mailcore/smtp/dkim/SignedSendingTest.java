package dev.mailcore.smtp.dkim;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mailcore.Content;
import dev.mailcore.Envelope;
import dev.mailcore.RecipientResult;
import dev.mailcore.Message;
import dev.mailcore.SendResult;
import dev.mailcore.TlsMode;
import dev.mailcore.smtp.DirectSender;
import dev.mailcore.smtp.SmtpRelay;
import dev.mailcore.smtp.mx.StaticRoutes;
import dev.mailcore.smtp.queue.FileQueueStore;
import dev.mailcore.smtp.queue.MailQueue;
import dev.mailcore.smtp.queue.QueueEntry;
import dev.mailcore.smtp.queue.QueueId;
import dev.mailcore.smtp.queue.QueueListener;
import dev.mailcore.smtp.queue.QueueTransport;
import dev.mailcore.smtp.testing.RecordedTransaction;
import dev.mailcore.smtp.testing.ScriptedSmtpServer;
import dev.mailcore.smtp.testing.SmtpStep;
import dev.mailcore.testing.ManualClock;
import dev.mailcore.testing.ManualScheduler;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Senders with a signer send exactly the bytes they signed, checked at the server by dkimpy. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SignedSendingTest {
  private static final String RECORD = "s1._domainkey.shop.example";

  @TempDir Path dir;

  private static Message message(Path attachment) {
    Message.Builder b =
        Message.builder()
            .from("Ana <ana@shop.example>")
            .to("bob@example.org")
            .subject("Signed, sealed, delivered — olá")
            .text("Hello Bob,\n.\nthe line above is a lone dot.\n\n\n")
            .html("<p>Hello Bob</p>");
    if (attachment != null) {
      b.attach(attachment);
    }
    return b.build();
  }

  private static DkimSigner signer(KeyPair keys) {
    return DkimSigner.builder().domain("shop.example").selector("s1").privateKey(keys.getPrivate()).build();
  }

  private static void assertVerifies(RecordedTransaction t, KeyPair keys) throws IOException {
    assertThat(t.text()).startsWith("DKIM-Signature:");
    DkimPy.Result result =
        DkimPy.verify(Content.ofBytes(t.data()), RECORD, DkimKeys.txtRecord(keys.getPublic()));
    assertThat(result.verified()).as(result.output()).isTrue();
  }

  @Test
  void relaySignsOnceAndTheServerReceivesVerifiableBytes() throws Exception {
    KeyPair keys = TestKeys.rsa();
    Path file = dir.resolve("report.bin");
    byte[] bytes = new byte[300_000];
    new Random(7).nextBytes(bytes);
    Files.write(file, bytes);
    try (ScriptedSmtpServer server = ScriptedSmtpServer.builder().start();
        SmtpRelay relay =
            SmtpRelay.builder()
                .host("127.0.0.1")
                .port(server.port())
                .tls(TlsMode.NONE)
                .signer(signer(keys))
                .build()) {
      SendResult result = relay.send(message(file));

      assertThat(result.isAllDelivered()).isTrue();
      assertThat(server.transactions()).hasSize(1);
      assertVerifies(server.transactions().get(0), keys);
    }
    // the temporary rendering of a message with a file attachment is gone
    try (var leftovers = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      assertThat(leftovers.map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith("mailcore-") && n.endsWith(".eml")))
          .isEmpty();
    }
  }

  @Test
  void directSenderSendsTheSameSignedBytesToEveryDomain() throws Exception {
    KeyPair keys = TestKeys.ed25519();
    try (ScriptedSmtpServer server =
            ScriptedSmtpServer.builder().bindAddress(InetAddress.getByName("127.0.0.1")).start();
        DirectSender sender =
            DirectSender.builder()
                .routes(StaticRoutes.builder().defaultRelay("127.0.0.1", server.port()).build())
                .tls(TlsMode.NONE)
                .signer(signer(keys))
                .build()) {
      Message m = message(null).toBuilder().cc("carla@example.net").build();

      SendResult result = sender.send(m);

      assertThat(result.isAllDelivered()).isTrue();
      assertThat(server.transactions()).hasSize(2);
      assertThat(server.transactions().get(1).data()).isEqualTo(server.transactions().get(0).data());
      assertVerifies(server.transactions().get(0), keys);
      assertThat(new String(server.transactions().get(0).data(), StandardCharsets.UTF_8))
          .contains("a=ed25519-sha256");
    }
  }

  @Test
  void queueSignsOnceAtEnqueueAndEveryAttemptSendsTheStoredSignedBytes() throws Exception {
    KeyPair keys = TestKeys.rsa();
    ManualClock clock = ManualClock.ofDefaults();
    ManualScheduler scheduler = new ManualScheduler(clock);
    CountDownLatch firstAttempt = new CountDownLatch(1);
    CountDownLatch finished = new CountDownLatch(1);
    QueueListener listener =
        new QueueListener() {
          @Override
          public void attemptFinished(QueueEntry entry, List<RecipientResult> results) {
            firstAttempt.countDown();
          }

          @Override
          public void finished(QueueEntry entry) {
            finished.countDown();
          }
        };
    try (ScriptedSmtpServer server =
            ScriptedSmtpServer.builder()
                .start()
                .reply(SmtpStep.END_OF_DATA, 1, "451 4.3.0 Try again later");
        SmtpRelay relay =
            SmtpRelay.builder().host("127.0.0.1").port(server.port()).tls(TlsMode.NONE).build()) {
      Message m = message(null);
      QueueId id;
      byte[] stored;
      try (MailQueue queue =
          MailQueue.builder()
              .store(FileQueueStore.open(dir.resolve("spool")))
              .transport(QueueTransport.relay(relay))
              .signer(signer(keys))
              .clock(clock)
              .scheduler(scheduler)
              .listener(listener)
              .build()) {
        id = queue.enqueue(Envelope.of(m), m);
        assertThat(firstAttempt.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(queue.entry(id)).isPresent(); // deferred, waiting for its retry
        stored = storedBytes(dir.resolve("spool"));
        scheduler.advance(Duration.ofMinutes(5));
        assertThat(finished.await(10, TimeUnit.SECONDS)).isTrue();
      }

      assertThat(server.transactions()).hasSize(2); // deferred once, then accepted
      assertThat(server.transactions().get(1).data()).isEqualTo(server.transactions().get(0).data());
      assertVerifies(server.transactions().get(1), keys);
      assertThat(latin1(stored))
          .as("the journal holds the signed bytes")
          .contains(latin1(server.transactions().get(0).data()));
    }
  }

  private static String latin1(byte[] bytes) {
    return new String(bytes, StandardCharsets.ISO_8859_1);
  }

  /** The bytes of the queue's journal segments, concatenated. */
  private static byte[] storedBytes(Path spool) throws IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    try (var files = Files.list(spool)) {
      for (Path p : files.filter(f -> f.getFileName().toString().startsWith("journal-")).sorted().toList()) {
        out.write(Files.readAllBytes(p));
      }
    }
    return out.toByteArray();
  }

}
