package dev.mailcore.smtp.queue;

import dev.mailcore.Content;
import java.io.ByteArrayInputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InterruptedIOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

/**
 * The process {@link FileQueueStoreTest} runs under a file size limit ({@code ulimit -f}), which
 * the kernel enforces in the middle of a write as it does a full disk: appends {@link #FIRST}, then
 * {@link #BATCH} in one group commit that crosses the limit, then {@link #AFTER}, prints {@code ACK
 * <id>} or {@code FAIL <id>} for each and halts without closing the store, as a crash leaves it.
 * Argument: the queue directory.
 */
final class FullJournalChild {

  static final String FIRST = "w0";
  static final List<String> BATCH = List.of("b1", "b2", "b3");
  /** An id of the same length as the batch's, so its record is as long as theirs. */
  static final String AFTER = "c4";

  private FullJournalChild() {}

  static QueueEntry entry(String id) {
    return QueueStoreContract.entry(id, QueueStoreContract.T0);
  }

  static byte[] body(String id) {
    return ("Subject: " + id + "\r\n\r\n" + "x".repeat(3000)).getBytes(StandardCharsets.US_ASCII);
  }

  /** The length of an entry's record in the journal: header, entry, body. */
  static long recordLength(String id) {
    return 25 + EntryCodec.encode(entry(id)).length + body(id).length;
  }

  public static void main(String[] args) throws Exception {
    PrintStream out =
        new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
    // no zeros ahead: the journal holds what the appends wrote and nothing else
    FileQueueStore store = FileQueueStore.open(Path.of(args[0]), 64L << 20, 600_000, 0);
    CountDownLatch writing = new CountDownLatch(1);
    CountDownLatch go = new CountDownLatch(1);
    // size unknown: streamed by the writer thread, which waits in it until the batch is queued
    CompletableFuture<Void> first =
        store.appendAsync(
            entry(FIRST),
            Content.ofSource(
                () -> {
                  writing.countDown();
                  try {
                    go.await();
                  } catch (InterruptedException e) {
                    throw new InterruptedIOException("interrupted");
                  }
                  return new ByteArrayInputStream(body(FIRST));
                },
                -1));
    writing.await();
    List<CompletableFuture<Void>> batch =
        BATCH.stream().map(id -> store.appendAsync(entry(id), Content.ofBytes(body(id)))).toList();
    go.countDown();
    report(out, FIRST, first);
    for (int i = 0; i < BATCH.size(); i++) {
      report(out, BATCH.get(i), batch.get(i));
    }
    report(out, AFTER, store.appendAsync(entry(AFTER), Content.ofBytes(body(AFTER))));
    Runtime.getRuntime().halt(0);
  }

  private static void report(PrintStream out, String id, CompletableFuture<Void> f) {
    try {
      f.join();
      out.println("ACK " + id);
    } catch (RuntimeException e) {
      out.println("FAIL " + id);
    }
  }
}
