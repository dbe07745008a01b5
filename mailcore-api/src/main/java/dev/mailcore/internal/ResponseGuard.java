package dev.mailcore.internal;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.time.Duration;

/**
 * Watches the bytes a mail server sends before the protocol library buffers them, and fails the
 * connection when the server breaks the framing in ways that would exhaust memory: a line that
 * never ends, or (IMAP, RFC 3501 §4.3) a literal announced larger than any sensible response.
 * Angus Mail allocates what a server announces and grows its line buffer without bound, so this
 * is the guard against an {@link OutOfMemoryError} from a hostile or broken server.
 *
 * <p>It also bounds the time a server may take to send one piece of a response: a line, or 64 KiB
 * of a literal. The socket's read time-out bounds each read alone, so a server that trickles a
 * byte just within it holds every call for ever. The guard adds up how long reads block once a
 * piece has begun and fails the connection with a {@link SocketTimeoutException} when that passes
 * the read time-out. The wait for the first byte of a piece is not counted: that is the socket
 * time-out's business (and IMAP IDLE waits there on purpose).
 *
 * <p>A caller that knows how large a reply may be (a POP3 RETR of a message whose LIST size it
 * has) runs the command under {@link #budget}: the bytes that guards read on that thread meanwhile
 * are counted, so a reply that never ends (short lines, never the terminating dot) fails long
 * before it fills the library's disk cache or heap. Angus Mail's POP3 reads on the caller's
 * thread, which is what makes a thread's budget the reply's.
 *
 * <p>Once a limit has failed the stream, every later read fails the same way: the framing is
 * lost, and a library that went on (Angus POP3 keeps the connection after an I/O error) would
 * take the rest of the broken reply for the answers to its next commands. Not thread-safe; one
 * per connection.
 */
public final class ResponseGuard extends FilterInputStream {
  /** Longest run of bytes without LF outside literals. */
  public static final long MAX_LINE = 16L * 1024 * 1024;
  /** Largest IMAP literal: partial fetches ask for 64 KiB at a time. */
  public static final long MAX_LITERAL = 64L * 1024 * 1024;
  /** Bytes of a literal that count as one piece for the time bound. */
  static final long LITERAL_PIECE = 64L * 1024;

  /** Thrown (to the library, which closes the connection) when a limit is exceeded. */
  public static final class LimitExceededException extends IOException {
    private static final long serialVersionUID = 1L;

    LimitExceededException(String message) {
      super(message);
    }
  }

  /** A piece of work run under a byte budget. */
  @FunctionalInterface
  public interface Work<T, E extends Exception> {
    /** Does the work. */
    T run() throws E;
  }

  /** The reply budget of the thread, while {@link #budget} runs. */
  private static final class Budget {
    private final String reply;
    private final long limit;
    private long left;
    private LimitExceededException exceeded;

    Budget(String reply, long limit) {
      this.reply = reply;
      this.limit = limit;
      this.left = limit;
    }
  }

  private static final ThreadLocal<Budget> BUDGET = new ThreadLocal<>();

  private final boolean imapLiterals;
  private IOException failed;
  private final long maxLine;
  private final long maxLiteral;
  private final long pieceNanos;
  private long lineLength;
  // a piece (line or literal chunk) has begun and not ended; the nanoseconds reads blocked in it
  private boolean inPiece;
  private long pieceWait;
  private long literalPiece;
  private long literalLeft;
  // the last bytes of the current line, enough to recognise "{123456789012}\r" and to see
  // that a run of digits is too long to be a size
  private final byte[] tail = new byte[64];
  private int tailLength;

  /**
   * Guards {@code in}; {@code imapLiterals} turns on literal tracking; each piece of a response
   * must arrive within {@code readTimeout} of blocked reads.
   */
  public ResponseGuard(InputStream in, boolean imapLiterals, Duration readTimeout) {
    this(in, imapLiterals, MAX_LINE, MAX_LITERAL, readTimeout);
  }

  ResponseGuard(InputStream in, boolean imapLiterals, long maxLine, long maxLiteral) {
    this(in, imapLiterals, maxLine, maxLiteral, null);
  }

  ResponseGuard(
      InputStream in, boolean imapLiterals, long maxLine, long maxLiteral, Duration readTimeout) {
    super(in);
    this.imapLiterals = imapLiterals;
    this.maxLine = maxLine;
    this.maxLiteral = maxLiteral;
    this.pieceNanos = readTimeout == null ? Long.MAX_VALUE : readTimeout.toNanos();
  }

  /**
   * Runs {@code work} on this thread with at most {@code maxBytes} to be read by guarded streams,
   * for the reply to {@code reply} (a command, for the error message). When the budget ran out,
   * what {@code work} throws carries the guard's {@link LimitExceededException} as suppressed:
   * libraries that wrap the I/O failure do not always keep it as the cause.
   */
  public static <T, E extends Exception> T budget(String reply, long maxBytes, Work<T, E> work)
      throws E {
    Budget outer = BUDGET.get();
    Budget mine = new Budget(reply, maxBytes);
    BUDGET.set(mine);
    try {
      return work.run();
    } catch (Exception e) {
      if (mine.exceeded != null && !MessagingFailures.hasCause(e, LimitExceededException.class)) {
        e.addSuppressed(mine.exceeded);
      }
      throw e;
    } finally {
      if (outer == null) {
        BUDGET.remove();
      } else {
        BUDGET.set(outer);
      }
    }
  }

  /** Counts {@code n} bytes read against the thread's budget. */
  private void spend(int n) throws LimitExceededException {
    Budget b = BUDGET.get();
    if (b != null && n > 0) {
      b.left -= n;
      if (b.left < 0) {
        throw b.exceeded = fail(
            new LimitExceededException(
                "reply to " + b.reply + " exceeds " + b.limit
                    + " bytes, far more than announced; it is missing its terminating line or the"
                    + " server lies about sizes"));
      }
    }
  }

  private <X extends IOException> X fail(X e) {
    failed = e;
    return e;
  }

  private void checkOpen() throws IOException {
    if (failed != null) {
      IOException again =
          failed instanceof SocketTimeoutException
              ? new SocketTimeoutException(failed.getMessage())
              : new LimitExceededException(failed.getMessage());
      again.initCause(failed);
      throw again;
    }
  }

  @Override
  public int read() throws IOException {
    checkOpen();
    boolean timed = inPiece;
    long start = timed ? System.nanoTime() : 0;
    int b = in.read();
    if (timed) {
      pieceWait += System.nanoTime() - start;
    }
    if (b >= 0) {
      spend(1);
      if (literalLeft > 0) {
        literal(1);
      } else {
        scan((byte) b);
      }
    }
    checkPace();
    return b;
  }

  @Override
  public int read(byte[] buf, int off, int len) throws IOException {
    checkOpen();
    boolean timed = inPiece;
    long start = timed ? System.nanoTime() : 0;
    int n = in.read(buf, off, len);
    if (timed) {
      pieceWait += System.nanoTime() - start;
    }
    spend(n);
    int i = 0;
    while (i < n) {
      if (literalLeft > 0) {
        // a literal's bytes are counted, not looked at: pass over them at once
        int run = (int) Math.min(literalLeft, n - i);
        literal(run);
        i += run;
      } else {
        scan(buf[off + i]);
        i++;
      }
    }
    checkPace();
    return n;
  }

  /** Counts {@code run} bytes of a literal; each {@link #LITERAL_PIECE} of it is a new piece. */
  private void literal(int run) {
    literalLeft -= run;
    begin();
    literalPiece += run;
    if (literalPiece >= LITERAL_PIECE || literalLeft == 0) {
      literalPiece = 0;
      end();
    }
  }

  private void begin() {
    inPiece = true;
  }

  private void end() {
    inPiece = false;
    pieceWait = 0;
  }

  /** Fails when the piece under way has made reads block longer than the read time-out. */
  private void checkPace() throws SocketTimeoutException {
    if (inPiece && pieceWait > pieceNanos) {
      throw fail(new SocketTimeoutException(
          "Read timed out: the server sent one line (or 64 KiB) over more than "
              + Duration.ofNanos(pieceNanos).toMillis() + " ms of waiting"));
    }
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
    if (b == '\n') {
      end();
      if (imapLiterals) {
        literalLeft = announcedLiteral();
      }
      lineLength = 0;
      tailLength = 0;
      return;
    }
    begin();
    if (++lineLength > maxLine) {
      throw fail(new LimitExceededException(
          "server sent a line of more than " + maxLine + " bytes without a line end"));
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
      throw fail(
          new LimitExceededException("server announced a literal of " + digits + " or more digits"));
    }
    if (i < 0 || tail[i] != '{' || digits == 0) {
      return 0;
    }
    long size = Long.parseLong(new String(tail, i + 1, digits, java.nio.charset.StandardCharsets.US_ASCII));
    if (size > maxLiteral) {
      throw fail(new LimitExceededException(
          "server announced a literal of " + size + " bytes, more than the limit of " + maxLiteral));
    }
    return size;
  }
}
