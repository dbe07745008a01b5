package dev.mailcore.smtp.dkim;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Turns each bare LF into CRLF, so that the bytes written are the ones the canonicalizers
 * hashed (they read a bare LF as a line end, RFC 6376 §5.3 leaves the conversion to the signer).
 */
final class CrlfInputStream extends FilterInputStream {
  private int previous = -1;
  private boolean pendingLf;
  private final byte[] raw = new byte[8192];

  CrlfInputStream(InputStream in) {
    super(in);
  }

  @Override
  public int read() throws IOException {
    if (pendingLf) {
      pendingLf = false;
      previous = '\n';
      return '\n';
    }
    int b = in.read();
    if (b == '\n' && previous != '\r') {
      pendingLf = true;
      previous = '\r';
      return '\r';
    }
    previous = b;
    return b;
  }

  @Override
  public int read(byte[] buf, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    // Read at most half so every LF can grow into CRLF within the caller's buffer.
    int n = 0;
    if (pendingLf) {
      buf[off + n++] = (byte) read();
      if (n == len) {
        return n;
      }
    }
    int want = Math.min(raw.length, Math.max(1, (len - n) / 2));
    int got = in.read(raw, 0, want);
    if (got < 0) {
      return n == 0 ? -1 : n;
    }
    for (int i = 0; i < got; i++) {
      byte b = raw[i];
      if (b == '\n' && previous != '\r') {
        buf[off + n++] = '\r';
        previous = '\r';
        if (n == len) {
          // only when the caller asked for one byte: the LF follows on the next read
          pendingLf = true;
          return n;
        }
      }
      buf[off + n++] = b;
      previous = b;
    }
    return n;
  }

  @Override
  public long skip(long count) throws IOException {
    long skipped = 0;
    while (skipped < count && read() >= 0) {
      skipped++;
    }
    return skipped;
  }

  @Override
  public boolean markSupported() {
    return false;
  }
}
