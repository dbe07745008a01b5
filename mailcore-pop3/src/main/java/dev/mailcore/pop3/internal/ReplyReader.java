package dev.mailcore.pop3.internal;

import dev.mailcore.MailProtocolException;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * Reads POP3 replies (RFC 1939 §3) from a server's byte stream with hard limits: a status line is
 * {@code +OK} or {@code -ERR} within {@link #MAX_STATUS_LINE} bytes (RFC 2449 §4 allows 512), and
 * a multi-line reply is dot-unstuffed into a sink, ending at a line holding a single dot, and may
 * not exceed the byte budget its caller gives (derived from the LIST size), nor have a line longer
 * than {@link #MAX_LINE}. A reply breaking these rules is a {@link MailProtocolException}: the
 * caller then closes the connection, since the framing is lost. A line may end with LF alone; the
 * bytes are passed on as received, less the stuffed dots.
 *
 * <p>The read time-out bounds each read alone, so a server trickling a byte (or a line) just
 * within it would hold a reply for ever: the reader also adds up how long reads block once a
 * reply has begun, and fails with a {@link SocketTimeoutException} when a status line, or any 64
 * KiB of a multi-line body, took more than the read time-out of waiting. The wait for a reply's
 * first byte is the socket time-out's alone. Not thread-safe; one per connection.
 */
final class ReplyReader {
  /** Longest status line, including CRLF; RFC 2449 §4 says 512, some servers say more. */
  static final int MAX_STATUS_LINE = 4096;
  /** Longest line inside a multi-line reply (RFC 5322 says 998; some mail breaks that). */
  static final int MAX_LINE = 1 << 20;
  /** Bytes of a multi-line body that must arrive within one read time-out of waiting. */
  static final long PACE_PIECE = 64 * 1024;

  private final InputStream in;
  private final long paceNanos;
  private final byte[] buf = new byte[64 * 1024];
  private int pos;
  private int lim;
  // whether the reply under way has begun (so reads are timed), and how long they blocked
  private boolean timed;
  private long waited;

  ReplyReader(InputStream in) {
    this(in, null);
  }

  /** Reads from {@code in}; each reply's pieces must arrive within {@code readTimeout} of waiting. */
  ReplyReader(InputStream in, java.time.Duration readTimeout) {
    this.in = in;
    this.paceNanos = readTimeout == null ? Long.MAX_VALUE : readTimeout.toNanos();
  }

  /** A status line: positive or not, and its text after the indicator. */
  record Status(boolean ok, String text) {
    @Override
    public String toString() {
      return (ok ? "+OK" : "-ERR") + (text.isEmpty() ? "" : " " + text);
    }
  }

  /**
   * Reads a status line.
   *
   * @throws MailProtocolException when it is neither {@code +OK} nor {@code -ERR}, or too long
   * @throws IOException when the connection fails or ends
   */
  Status status(String command) throws IOException {
    String line = line(MAX_STATUS_LINE, command);
    if (line.startsWith("+OK") && (line.length() == 3 || line.charAt(3) == ' ')) {
      return new Status(true, line.substring(Math.min(4, line.length())));
    }
    if (line.startsWith("-ERR") && (line.length() == 4 || line.charAt(4) == ' ')) {
      return new Status(false, line.substring(Math.min(5, line.length())));
    }
    throw new MailProtocolException(
        "server answered " + command + " with neither +OK nor -ERR: " + printable(line), null);
  }

  /**
   * Reads one line of at most {@code max} bytes (ISO-8859-1), without its line end.
   *
   * @throws MailProtocolException when longer
   */
  String line(int max, String command) throws IOException {
    // a new reply: the wait for its first byte is not counted, unless it is in the buffer already
    timed = pos < lim;
    waited = 0;
    int start = pos;
    int length = 0;
    StringBuilder sb = null;
    while (true) {
      if (pos == lim) {
        if (sb == null) {
          sb = new StringBuilder();
        }
        sb.append(new String(buf, start, pos - start, StandardCharsets.ISO_8859_1));
        fill(command);
        start = pos;
      }
      byte b = buf[pos++];
      if (b == '\n') {
        int end = pos - 1;
        String tail = new String(buf, start, end - start, StandardCharsets.ISO_8859_1);
        String s = sb == null ? tail : sb.append(tail).toString();
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
      }
      if (++length > max) {
        throw new MailProtocolException(
            "server sent a line of more than " + max + " bytes in reply to " + command, null);
      }
    }
  }

  /**
   * Reads the body of a multi-line reply up to its terminating dot line, dot-unstuffed, into
   * {@code sink}; returns the bytes written.
   *
   * @param budget most bytes the body may have before the reply counts as hostile
   * @throws MailProtocolException when the body exceeds {@code budget} or has an overlong line
   * @throws IOException when the connection fails or ends first, or the sink fails
   */
  long body(OutputStream sink, long budget, String command) throws IOException {
    long written = 0;
    long paced = 0;
    timed = true;
    waited = 0;
    while (true) {
      if (written - paced >= PACE_PIECE) {
        paced = written;
        waited = 0;
      }
      // at the start of a line
      if (peek(command) == '.') {
        pos++;
        if (peek(command) == '\r') {
          pos++;
          if (peek(command) != '\n') {
            // "." CR followed by something else: a stuffed line starting with CR
            sink.write('\r');
            written++;
            continue;
          }
        }
        if (buf[pos] == '\n') {
          pos++;
          return written;
        }
        // otherwise a stuffed dot: drop it and copy the rest of the line
      }
      long line = 0;
      while (true) {
        if (pos == lim) {
          fill(command);
        }
        int end = pos;
        while (end < lim && buf[end] != '\n') {
          end++;
        }
        boolean complete = end < lim;
        int n = (complete ? end + 1 : end) - pos;
        line += n;
        written += n;
        if (line > MAX_LINE) {
          throw new MailProtocolException(
              "server sent a line of more than " + MAX_LINE + " bytes in reply to " + command,
              null);
        }
        if (written > budget) {
          throw new MailProtocolException(
              "reply to " + command + " exceeds " + budget
                  + " bytes, far more than its LIST size; it is missing its terminating dot line"
                  + " or the server lies about sizes",
              null);
        }
        sink.write(buf, pos, n);
        pos += n;
        if (complete) {
          break;
        }
      }
    }
  }

  /** Returns the next byte without taking it. */
  private byte peek(String command) throws IOException {
    if (pos == lim) {
      fill(command);
    }
    return buf[pos];
  }

  private void fill(String command) throws IOException {
    long start = timed ? System.nanoTime() : 0;
    int n = in.read(buf, 0, buf.length);
    if (timed) {
      waited += System.nanoTime() - start;
    }
    timed = true;
    if (n < 0) {
      throw new EOFException("server closed the connection in the reply to " + command);
    }
    pos = 0;
    lim = n;
    if (waited > paceNanos) {
      throw new SocketTimeoutException(
          "server sent the reply to " + command + " too slowly: more than "
              + java.time.Duration.ofNanos(paceNanos).toMillis() + " ms of waiting for one piece");
    }
  }

  /** Returns {@code s} cut to 100 characters, control characters shown as {@code ?}. */
  static String printable(String s) {
    String cut = s.length() > 100 ? s.substring(0, 100) + "..." : s;
    return cut.replaceAll("\\p{Cntrl}", "?");
  }
}
