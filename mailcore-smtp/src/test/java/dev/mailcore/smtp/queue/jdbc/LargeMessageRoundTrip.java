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
      MessageDigest sent = MessageDigest.getInstance("SHA-256");
      store.append(e, Content.ofSource(() -> new Generated(size, sent), size));
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
      boolean same = total == size && Arrays.equals(sent.digest(), received.digest());
      System.out.println("round trip of " + size + " bytes: " + (same ? "same" : "DIFFERENT"));
      System.exit(same ? 0 : 1);
    }
  }

  /** Bytes made as they are read, digested on the way. */
  private static final class Generated extends InputStream {
    private final MessageDigest digest;
    private long left;
    private int x = 17;

    Generated(long size, MessageDigest digest) {
      this.left = size;
      this.digest = digest;
    }

    @Override
    public int read() {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (left == 0) {
        return -1;
      }
      int n = (int) Math.min(len, left);
      for (int i = 0; i < n; i++) {
        x = x * 1103515245 + 12345;
        b[off + i] = (byte) (x >>> 24);
      }
      digest.update(b, off, n);
      left -= n;
      return n;
    }
  }
}
