package dev.mailcore.examples.bench;

import dev.mailcore.Attachment;
import dev.mailcore.Content;
import dev.mailcore.Mailbox;
import dev.mailcore.Message;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;

/**
 * Shows that writing a message streams its attachments: renders a generated attachment (200 MB
 * by default, {@code args[0]} megabytes otherwise) to a null stream and prints the bytes written,
 * the time taken and the peak heap use. Run it with a heap smaller than the attachment:
 *
 * <pre>
 * java -Xmx64m -cp ... dev.mailcore.examples.bench.LargeAttachmentCheck
 * </pre>
 */
public final class LargeAttachmentCheck {
  private LargeAttachmentCheck() {}

  public static void main(String[] args) {
    long megabytes = args.length > 0 ? Long.parseLong(args[0]) : 200;
    long size = megabytes * 1024 * 1024;
    Message message = Message.builder()
        .from(Mailbox.of("Backup robot", "backup", "shop.example"))
        .to(Mailbox.of("ops", "example.org"))
        .subject("nightly dump")
        .text("The dump is attached.")
        .attach(Attachment.of("dump.bin", "application/octet-stream", Content.ofSource(() -> new Generated(size), size)))
        .build();
    long[] written = new long[1];
    long start = System.nanoTime();
    message.writeTo(new OutputStream() {
      @Override
      public void write(int b) {
        written[0]++;
      }

      @Override
      public void write(byte[] b, int off, int len) {
        written[0] += len;
      }
    });
    double seconds = (System.nanoTime() - start) / 1e9;
    long peakHeap = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        peakHeap += pool.getPeakUsage().getUsed();
      }
    }
    System.out.printf("attachment %d MB, wrote %d bytes (%.3f x attachment) in %.1f s%n",
        megabytes, written[0], (double) written[0] / size, seconds);
    System.out.printf("max heap %d MB, peak heap used %d MB%n",
        Runtime.getRuntime().maxMemory() >> 20, peakHeap >> 20);
  }

  /** Bytes made up while they are read; nothing is kept. */
  private static final class Generated extends InputStream {
    private long remaining;
    private int state = 17;

    Generated(long size) {
      this.remaining = size;
    }

    @Override
    public int read() {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (remaining == 0) {
        return -1;
      }
      int n = (int) Math.min(len, remaining);
      for (int i = 0; i < n; i++) {
        state = state * 1103515245 + 12345;
        b[off + i] = (byte) (state >>> 24);
      }
      remaining -= n;
      return n;
    }
  }
}
