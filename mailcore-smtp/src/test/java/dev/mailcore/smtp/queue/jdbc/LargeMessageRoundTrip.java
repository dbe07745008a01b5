package dev.mailcore.smtp.queue.jdbc;

import dev.mailcore.Content;
import dev.mailcore.Envelope;
import dev.mailcore.Mailbox;
import dev.mailcore.smtp.queue.QueueEntry;
import dev.mailcore.smtp.queue.QueueId;
import java.io.InputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Run in a JVM of its own with a small heap by {@link PostgresQueueStoreTest}: stores a message of
 * {@code mebibytes} made as it is read, streams it back, and exits 0 when the digests agree. A heap
 * smaller than the message proves neither way holds it whole.
 *
 * <p>Arguments: {@code port schema mebibytes}.
 */
final class LargeMessageRoundTrip {

  private LargeMessageRoundTrip() {}

  public static void main(String[] args) throws Exception {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setServerNames(new String[] {"127.0.0.1"});
    ds.setPortNumbers(new int[] {Integer.parseInt(args[0])});
    ds.setDatabaseName("postgres");
    ds.setUser("postgres");
    long size = Long.parseLong(args[2]) << 20;
    try (PostgresQueueStore store =
        PostgresQueueStore.builder().dataSource(ds).schema(args[1]).build()) {
      QueueEntry e =
          QueueEntry.ofNew(
              new QueueId("large"),
              Envelope.of(
                  Mailbox.of("ana", "shop.example"), List.of(Mailbox.of("bob", "example.net"))),
              Instant.now());
      store.append(e, Content.ofSource(() -> new GeneratedBytes(17, size), size));
      MessageDigest received = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[64 << 10];
      long total = 0;
      try (InputStream in = store.message(e.id()).open()) {
        int n;
        while ((n = in.read(buf)) > 0) {
          received.update(buf, 0, n);
          total += n;
        }
      }
      MessageDigest sent = MessageDigest.getInstance("SHA-256");
      try (InputStream in = new GeneratedBytes(17, size)) {
        int n;
        while ((n = in.read(buf)) > 0) {
          sent.update(buf, 0, n);
        }
      }
      boolean same = total == size && Arrays.equals(sent.digest(), received.digest());
      System.out.println("round trip of " + size + " bytes: " + (same ? "same" : "DIFFERENT"));
      System.exit(same ? 0 : 1);
    }
  }
}
