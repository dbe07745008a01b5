package dev.mailcore.internal;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Watches the bytes a mail server sends before the protocol library buffers them, and fails the
 * connection when the server breaks the framing in ways that would exhaust memory: a line that
 * never ends, or (IMAP, RFC 3501 §4.3) a literal announced larger than any sensible response.
 * Angus Mail allocates what a server announces and grows its line buffer without bound, so this
 * is the guard against an {@link OutOfMemoryError} from a hostile or broken server. Not
 * thread-safe; one per connection.
 */
public final class ResponseGuard extends FilterInputStream {
  /** Longest run of bytes without LF outside literals. */
  public static final long MAX_LINE = 16L * 1024 * 1024;
  /** Largest IMAP literal: partial fetches ask for 64 KiB at a time. */
  public static final long MAX_LITERAL = 64L * 1024 * 1024;

  /** Thrown (to the library, which closes the connection) when a limit is exceeded. */
  public static final class LimitExceededException extends IOException {
    private static final long serialVersionUID = 1L;

    LimitExceededException(String message) {
      super(message);
    }
  }

  private final boolean imapLiterals;
  private final long maxLine;
  private final long maxLiteral;
  private long lineLength;
  private long literalLeft;
  // the last bytes of the current line, enough to recognise "{123456789012}\r" and to see
  // that a run of digits is too long to be a size
  private final byte[] tail = new byte[64];
  private int tailLength;

  /** Guards {@code in}; {@code imapLiterals} turns on literal tracking. */
  public ResponseGuard(InputStream in, boolean imapLiterals) {
    this(in, imapLiterals, MAX_LINE, MAX_LITERAL);
  }

  ResponseGuard(InputStream in, boolean imapLiterals, long maxLine, long maxLiteral) {
    super(in);
    this.imapLiterals = imapLiterals;
    this.maxLine = maxLine;
    this.maxLiteral = maxLiteral;
  }

  @Override
  public int read() throws IOException {
    int b = in.read();
    if (b >= 0) {
      scan((byte) b);
    }
    return b;
  }

  @Override
  public int read(byte[] buf, int off, int len) throws IOException {
    int n = in.read(buf, off, len);
    int i = 0;
    while (i < n) {
      if (literalLeft > 0) {
        // a literal's bytes are counted, not looked at: pass over them at once
        int run = (int) Math.min(literalLeft, n - i);
        literalLeft -= run;
        i += run;
      } else {
        scan(buf[off + i]);
        i++;
      }
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    // scanning needs every byte: skip by reading
    byte[] buf = new byte[(int) Math.min(n, 8192)];
    int r = read(buf, 0, buf.length);
    return Math.max(r, 0);
  }

  @Override
  public boolean markSupported() {
    return false;
  }

  private void scan(byte b) throws LimitExceededException {
    if (literalLeft > 0) {
      literalLeft--;
      return;
    }
    if (b == '\n') {
      if (imapLiterals) {
        literalLeft = announcedLiteral();
      }
      lineLength = 0;
      tailLength = 0;
      return;
    }
    if (++lineLength > maxLine) {
      throw new LimitExceededException(
          "server sent a line of more than " + maxLine + " bytes without a line end");
    }
    if (imapLiterals) {
      if (tailLength == tail.length) {
        System.arraycopy(tail, 1, tail, 0, tail.length - 1);
        tailLength--;
      }
      tail[tailLength++] = b;
    }
  }

  /** Returns the size of a literal announced at the end of the line just ended, or 0. */
  private long announcedLiteral() throws LimitExceededException {
    int end = tailLength;
    if (end > 0 && tail[end - 1] == '\r') {
      end--;
    }
    if (end < 3 || tail[end - 1] != '}') {
      return 0;
    }
    int close = end - 1;
    int i = close - 1;
    if (i >= 0 && tail[i] == '+') {
      i--; // LITERAL+ form {n+}, seen in echoes
    }
    int lastDigit = i;
    while (i >= 0 && tail[i] >= '0' && tail[i] <= '9') {
      i--;
    }
    int digits = lastDigit - i;
    if (digits > 18) {
      throw new LimitExceededException("server announced a literal of " + digits + " or more digits");
    }
    if (i < 0 || tail[i] != '{' || digits == 0) {
      return 0;
    }
    long size = Long.parseLong(new String(tail, i + 1, digits, java.nio.charset.StandardCharsets.US_ASCII));
    if (size > maxLiteral) {
      throw new LimitExceededException(
          "server announced a literal of " + size + " bytes, more than the limit of " + maxLiteral);
    }
    return size;
  }
}
