package dev.mailcore.internal;

import java.io.IOException;
import java.io.OutputStream;

/**
 * An unsynchronized buffer in front of the caller's stream. {@code BufferedOutputStream} takes a
 * lock on every call, which shows up when quoted-printable output is written byte by byte.
 *
 * <p>Not thread-safe: one sink belongs to one render.
 */
final class MimeSink {
  private final OutputStream out;
  private final byte[] buf = new byte[16 * 1024];
  private int count;

  MimeSink(OutputStream out) {
    this.out = out;
  }

  void write(int b) throws IOException {
    if (count == buf.length) {
      drain();
    }
    buf[count++] = (byte) b;
  }

  void write(byte[] b) throws IOException {
    write(b, 0, b.length);
  }

  void write(byte[] b, int off, int len) throws IOException {
    if (len >= buf.length) {
      drain();
      out.write(b, off, len);
      return;
    }
    if (len > buf.length - count) {
      drain();
    }
    System.arraycopy(b, off, buf, count, len);
    count += len;
  }

  /** Writes text as UTF-8; header sections are short, so one conversion is cheap. */
  void writeUtf8(CharSequence s) throws IOException {
    write(s.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /** Writes the buffer out and flushes the caller's stream. */
  void flush() throws IOException {
    drain();
    out.flush();
  }

  private void drain() throws IOException {
    if (count > 0) {
      out.write(buf, 0, count);
      count = 0;
    }
  }

  /** Returns a stream view for encoders that close what they wrap; closing it does nothing. */
  OutputStream unclosable() {
    return new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        MimeSink.this.write(b);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        MimeSink.this.write(b, off, len);
      }

      @Override
      public void close() {
        // the sink outlives each part's encoder; MimeRenderer flushes it at the end
      }
    };
  }
}
