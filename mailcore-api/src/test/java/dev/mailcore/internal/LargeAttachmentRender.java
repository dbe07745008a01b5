package dev.mailcore.internal;

import dev.mailcore.Attachment;
import dev.mailcore.Content;
import dev.mailcore.Mailbox;
import dev.mailcore.Message;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Run in a forked JVM with a small heap by {@link MimeRendererTest}: renders a generated
 * attachment of {@code args[0]} bytes to a counting null stream and prints the byte count last.
 */
final class LargeAttachmentRender {
  static final long SIZE = 200L * 1024 * 1024;

  private LargeAttachmentRender() {}

  public static void main(String[] args) {
    long size = Long.parseLong(args[0]);
    Content generated = Content.ofSource(() -> new Pattern(size), size);
    Message message = Message.builder()
        .from(Mailbox.of("big", "shop.example"))
        .to(Mailbox.of("bob", "example.org"))
        .text("see attachment")
        .attach(Attachment.of("big.bin", "application/octet-stream", generated))
        .build();
    long[] count = new long[1];
    message.writeTo(new OutputStream() {
      @Override
      public void write(int b) {
        count[0]++;
      }

      @Override
      public void write(byte[] b, int off, int len) {
        count[0] += len;
      }
    });
    System.out.println(count[0]);
  }

  /** Produces {@code size} bytes on the fly. */
  private static final class Pattern extends InputStream {
    private long left;

    Pattern(long size) {
      this.left = size;
    }

    @Override
    public int read() {
      return left-- > 0 ? (int) (left & 0xFF) : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (left <= 0) {
        return -1;
      }
      int n = (int) Math.min(len, left);
      for (int i = 0; i < n; i++) {
        b[off + i] = (byte) (left - i);
      }
      left -= n;
      return n;
    }
  }
}
