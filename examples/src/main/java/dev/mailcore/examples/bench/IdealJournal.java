package dev.mailcore.examples.bench;

import dev.mailcore.Content;
import dev.mailcore.Envelope;
import dev.mailcore.SendResult;
import dev.mailcore.smtp.RenderedMessage;
import dev.mailcore.smtp.SmtpRelay;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The least any durable queue has to do, as a yardstick for {@link QueueBenchmark}: producers hand
 * each message's bytes to one writer thread, which appends them to a file already filled with
 * zeros (no block allocation), {@code fdatasync}s each batch and only then lets the relay have
 * them; the relay reads each message back from the file ({@code pread}), as a queue must once the
 * message has left memory. No index, no record framing, no checksum, no per-recipient state, no
 * deletion record, no events, no scheduler: whatever a real queue's end to end falls short of this
 * is its bookkeeping; what this falls short of the relay alone is the disk.
 *
 * <p>With {@code readBack} false the relay sends the bytes from memory once they are durable (a
 * queue that kept every message in the heap until delivered).
 *
 * <p>Not thread-safe: one instance per round.
 */
final class IdealJournal {

  private static final int BATCH_BUFFER = 256 << 10;

  private final Path file;
  private final SmtpRelay relay;
  private final int threads;
  private final int window;
  private final byte[][] bytes;
  private final long[] offset;
  private final List<CompletableFuture<Void>> durable;
  private final List<RenderedMessage> batch;
  private final FileChannel channel;

  /**
   * Prepares a round (not timed): the file, filled with zeros and synced, and the relay's messages,
   * each of which waits until its bytes are durable and then reads them back ({@code readBack}) or
   * sends them from memory.
   */
  IdealJournal(
      Path file,
      SmtpRelay relay,
      Envelope[] envelopes,
      Content[] content,
      int threads,
      int window,
      boolean readBack)
      throws IOException {
    this.file = file;
    this.relay = relay;
    this.threads = threads;
    this.window = window;
    int messages = envelopes.length;
    bytes = new byte[content.length][];
    for (int i = 0; i < content.length; i++) {
      bytes[i] = content[i].readAllBytes();
      if (bytes[i].length > BATCH_BUFFER) {
        throw new IllegalArgumentException("messages of at most " + BATCH_BUFFER + " bytes");
      }
    }
    offset = new long[messages];
    long total = 0;
    for (int i = 0; i < messages; i++) {
      offset[i] = total;
      total += bytes[i % bytes.length].length;
    }
    durable = new ArrayList<>(messages);
    for (int i = 0; i < messages; i++) {
      durable.add(new CompletableFuture<>());
    }
    channel =
        FileChannel.open(
            file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
    zeroFill(channel, total);
    batch = new ArrayList<>(messages);
    for (int i = 0; i < messages; i++) {
      int n = i;
      byte[] b = bytes[i % bytes.length];
      Content source =
          Content.ofSource(
              () -> {
                durable.get(n).join();
                return new ByteArrayInputStream(readBack ? readBack(n, b.length) : b);
              },
              b.length);
      batch.add(RenderedMessage.of(envelopes[i], source));
    }
  }

  private byte[] readBack(int message, int length) throws IOException {
    byte[] copy = new byte[length];
    ByteBuffer buf = ByteBuffer.wrap(copy);
    while (buf.hasRemaining()) {
      if (channel.read(buf, offset[message] + buf.position()) < 0) {
        throw new IOException("journal ends early");
      }
    }
    return copy;
  }

  /**
   * Runs the round: {@code threads} producers keep {@code window} messages each waiting for
   * durability while the relay delivers them all; returns messages delivered per second, from the
   * first hand-over to the last delivery. Deletes the file.
   */
  double run() throws Exception {
    int messages = batch.size();
    LinkedBlockingQueue<Integer> handOver = new LinkedBlockingQueue<>();
    Thread writer = new Thread(() -> write(handOver), "ideal-writer");
    writer.setDaemon(true);
    ExecutorService producers = Executors.newFixedThreadPool(threads);
    try (channel) {
      long start = System.nanoTime();
      writer.start();
      AtomicInteger next = new AtomicInteger();
      List<Future<?>> running = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        running.add(
            producers.submit(
                () -> {
                  Semaphore inFlight = new Semaphore(window);
                  for (int i; (i = next.getAndIncrement()) < messages; ) {
                    inFlight.acquireUninterruptibly();
                    durable.get(i).whenComplete((v, e) -> inFlight.release());
                    handOver.add(i);
                  }
                  inFlight.acquireUninterruptibly(window);
                  return null;
                }));
      }
      long delivered =
          relay.sendAllRendered(batch).stream().filter(SendResult::isAllDelivered).count();
      double rate = delivered / ((System.nanoTime() - start) / 1e9);
      for (Future<?> f : running) {
        f.get();
      }
      if (delivered != messages) {
        throw new IllegalStateException("ideal journal: " + delivered + " of " + messages);
      }
      return rate;
    } finally {
      producers.shutdown();
      handOver.add(-1);
      writer.join();
      Files.deleteIfExists(file);
    }
  }

  /** Writes zeros over the whole file and syncs it, so the round's writes allocate nothing. */
  private static void zeroFill(FileChannel ch, long total) throws IOException {
    ByteBuffer zeros = ByteBuffer.allocateDirect(1 << 20);
    for (long at = 0; at < total; at += zeros.capacity()) {
      zeros.clear().limit((int) Math.min(zeros.capacity(), total - at));
      while (zeros.hasRemaining()) {
        ch.write(zeros, at + zeros.position());
      }
    }
    ch.force(true);
  }

  /** The writer: takes what is handed over, appends it, syncs, then releases it; -1 stops. */
  private void write(LinkedBlockingQueue<Integer> handOver) {
    FileChannel ch = channel;
    ByteBuffer buffer = ByteBuffer.allocateDirect(BATCH_BUFFER);
    List<Integer> taken = new ArrayList<>();
    long position = 0;
    try {
      while (true) {
        taken.add(handOver.take());
        handOver.drainTo(taken);
        boolean stop = taken.remove(Integer.valueOf(-1));
        for (int i : taken) {
          byte[] b = bytes[i % bytes.length];
          if (buffer.remaining() < b.length) {
            position = flush(ch, buffer, position);
          }
          if (buffer.position() == 0) {
            position = offset[i]; // messages are handed over out of order: write where each goes
          } else if (position + buffer.position() != offset[i]) {
            position = flush(ch, buffer, position);
            position = offset[i];
          }
          buffer.put(b);
        }
        flush(ch, buffer, position);
        ch.force(false);
        for (int i : taken) {
          durable.get(i).complete(null);
        }
        taken.clear();
        if (stop) {
          return;
        }
      }
    } catch (IOException e) {
      UncheckedIOException failure = new UncheckedIOException(e);
      durable.forEach(f -> f.completeExceptionally(failure));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static long flush(FileChannel ch, ByteBuffer buffer, long position) throws IOException {
    buffer.flip();
    while (buffer.hasRemaining()) {
      position += ch.write(buffer, position);
    }
    buffer.clear();
    return position;
  }
}
