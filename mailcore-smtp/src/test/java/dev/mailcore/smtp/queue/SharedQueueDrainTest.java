package dev.mailcore.smtp.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mailcore.Envelope;
import dev.mailcore.Mailbox;
import dev.mailcore.smtp.queue.jdbc.PostgresQueueStore;
import dev.mailcore.smtp.queue.jdbc.PostgresServer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two JVMs with {@value SharedQueueDrainChild#WORKERS} claimers each drain one PostgreSQL queue to
 * a local SMTP server; one of them is SIGKILLed once mid-run and started again. Every message must
 * arrive, and only the transactions the killed instance had in flight may arrive twice.
 *
 * <p>The message count is {@code -Dmailcore.drain.messages} (default 3,000, to keep the suite
 * quick; the 100,000 is run by hand with that property).
 */
@ExtendWith(PostgresServer.class)
@Timeout(600)
class SharedQueueDrainTest {

  private static final int MESSAGES = Integer.getInteger("mailcore.drain.messages", 3_000);

  @TempDir Path tmp;

  @Test
  void twoInstancesDrainTheQueueExactlyOnceButForWhatAKilledOneHadInFlight() throws Exception {
    String schema = PostgresServer.newSchema();
    try (TestSmtpServer server = new TestSmtpServer();
        PostgresQueueStore seed = store(schema)) {
      Mailbox from = Mailbox.of("ana", "shop.example");
      Mailbox to = Mailbox.of("bob", "example.net");
      Instant now = Instant.now();
      List<CompletableFuture<Void>> stored = new ArrayList<>();
      for (int i = 0; i < MESSAGES; i++) {
        QueueEntry e = QueueEntry.ofNew(QueueId.next(now), Envelope.of(from, List.of(to)), now);
        stored.add(seed.appendAsync(e, MailQueueSharedStoreTest.message("drain" + i)));
      }
      CompletableFuture.allOf(stored.toArray(new CompletableFuture<?>[0])).join();
      assertThat(seed.size()).isEqualTo(MESSAGES);

      long start = System.nanoTime();
      Process a = start(schema, server.port(), "a");
      Process b = start(schema, server.port(), "b");
      Process again = null;
      int inFlightAtKill;
      int deliveredAtKill;
      try {
        awaitReceived(server, MESSAGES / 3, a, b);
        System.out.printf(
            "shared queue drain test: %d received after %.1f s%n",
            server.received().size(), (System.nanoTime() - start) / 1e9);
        a.destroyForcibly(); // SIGKILL, in the middle of its transactions
        a.waitFor();
        deliveredAtKill = server.received().size();
        // what the killed instance had claimed and not recorded: its leases, still in the table
        // (they expire after the lease duration, 10 s; nobody takes them over before)
        inFlightAtKill = leasedBy(schema, "a");
        again = start(schema, server.port(), "a2");
        MailQueueSharedStoreTest.awaitEmpty(seed, Duration.ofMinutes(8));
      } finally {
        for (Process p : new Process[] {a, b, again}) {
          if (p != null) {
            p.destroyForcibly();
            p.waitFor();
          }
        }
      }
      double seconds = (System.nanoTime() - start) / 1e9;

      Map<String, Integer> counts = MailQueueSharedStoreTest.countsByMessageId(server);
      int duplicates = counts.values().stream().mapToInt(c -> c - 1).sum();
      String info =
          String.format(
              java.util.Locale.ROOT,
              "%d messages in %.1f s: %d delivered at the kill, %d in flight at the kill, %d"
                  + " duplicates",
              MESSAGES,
              seconds,
              deliveredAtKill,
              inFlightAtKill,
              duplicates);
      System.out.println("shared queue drain test: " + info);
      assertThat(counts).as(info).hasSize(MESSAGES);
      assertThat(duplicates).as(info).isLessThanOrEqualTo(inFlightAtKill);
      assertThat(deliveredAtKill).as(info).isLessThan(MESSAGES);
    }
  }

  private static void awaitReceived(TestSmtpServer server, int n, Process... children)
      throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (server.received().size() < n) {
      for (Process p : children) {
        assertThat(p.isAlive()).as("child alive (see its .err file)").isTrue();
      }
      assertThat(System.nanoTime()).as("%d received in time", n).isLessThan(end);
      Thread.sleep(5);
    }
  }

  private static int leasedBy(String schema, String owner) throws Exception {
    try (Connection c = PostgresServer.get().connect();
        PreparedStatement q =
            c.prepareStatement(
                "SELECT count(*) FROM \""
                    + schema
                    + "\".mailcore_queue_entry WHERE lease_owner = ?")) {
      q.setString(1, owner);
      try (ResultSet rs = q.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  private static PostgresQueueStore store(String schema) {
    return PostgresQueueStore.builder()
        .dataSource(PostgresServer.get().dataSource("queue-drain-seed"))
        .schema(schema)
        .owner("seed")
        .build();
  }

  private Process start(String schema, int smtpPort, String owner) throws Exception {
    ProcessBuilder pb =
        QueueCrashTest.childJvm(
            SharedQueueDrainChild.class,
            Integer.toString(PostgresServer.get().port()),
            schema,
            Integer.toString(smtpPort),
            owner);
    pb.redirectError(tmp.resolve(owner + ".err").toFile());
    pb.redirectOutput(tmp.resolve(owner + ".out").toFile());
    return pb.start();
  }
}
