package dev.mailcore.smtp.internal;

import dev.mailcore.EnhancedStatus;
import dev.mailcore.MailConnectionException;
import dev.mailcore.MailProtocolException;
import dev.mailcore.ServerReply;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads SMTP replies (RFC 5321 §4.2) with hard bounds: a line longer than {@code maxLineLength}
 * bytes, a reply of more than {@code maxLines} lines, a malformed code or a whole reply taking
 * longer than the time-out ends in an exception instead of a hang or an unbounded buffer.
 *
 * <p>Not thread-safe: owned by one {@link SmtpSession}.
 */
final class ReplyReader {
  /** Sets the read time-out of the underlying socket, such as {@link Socket#setSoTimeout}. */
  @FunctionalInterface
  interface ReadTimeout {
    void set(int millis) throws SocketException;
  }

  private final ReadTimeout readTimeout;
  private final InputStream in;
  private final int maxLineLength;
  private final int maxLines;
  private final byte[] buffer = new byte[8192];
  private int pos;
  private int limit;
  private final byte[] line;

  ReplyReader(ReadTimeout readTimeout, InputStream in, int maxLineLength, int maxLines) {
    this.readTimeout = readTimeout;
    this.in = in;
    this.maxLineLength = maxLineLength;
    this.maxLines = maxLines;
    this.line = new byte[maxLineLength];
  }

  /** Returns true when bytes the server sent are buffered but not yet parsed. */
  boolean hasBufferedInput() {
    return pos < limit;
  }

  /**
   * Reads what the server has sent, waiting at most {@code millis}; returns true when bytes (or the
   * end of the stream) came, which the next {@link #read} then sees. Only with nothing buffered:
   * for a TLS connection whose socket holds encrypted bytes, which may be a reply or only TLS
   * housekeeping such as a session ticket that carries no data.
   */
  boolean probe(int millis) throws IOException {
    if (hasBufferedInput()) {
      return true;
    }
    readTimeout.set(Math.max(1, millis));
    int n;
    try {
      n = in.read(buffer, 0, buffer.length);
    } catch (SocketTimeoutException e) {
      return false; // a TLS record without data: the connection stays usable
    }
    if (n < 0) {
      return true; // closed: the next read says so
    }
    pos = 0;
    limit = n;
    return true;
  }

  /**
   * Reads one complete reply.
   *
   * @throws MailConnectionException on time-out, when the connection closes or fails
   * @throws MailProtocolException when the reply is malformed or too large
   */
  ServerReply read(Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<String> lines = new ArrayList<>(2);
    int code = -1;
    while (true) {
      if (lines.size() >= maxLines) {
        throw new MailProtocolException(
            "server reply has more than " + maxLines + " lines", null);
      }
      int length = readLine(deadline, timeout);
      if (length < 3) {
        throw malformed(length);
      }
      int lineCode = 0;
      for (int i = 0; i < 3; i++) {
        byte b = line[i];
        if (b < '0' || b > '9') {
          throw malformed(length);
        }
        lineCode = lineCode * 10 + (b - '0');
      }
      if (lineCode < 200 || lineCode > 599) {
        throw malformed(length);
      }
      if (code >= 0 && lineCode != code) {
        throw new MailProtocolException(
            "server reply changes code from " + code + " to " + lineCode + " within one reply",
            null);
      }
      code = lineCode;
      boolean last;
      if (length == 3 || line[3] == ' ') {
        last = true;
      } else if (line[3] == '-') {
        last = false;
      } else {
        throw malformed(length);
      }
      String text =
          length > 4 ? new String(line, 4, length - 4, StandardCharsets.UTF_8) : "";
      lines.add(text);
      if (last) {
        break;
      }
    }
    Optional<EnhancedStatus> status = EnhancedStatus.parsePrefix(lines.get(0));
    if (status.isPresent()) {
      String prefix = status.get().toString();
      for (int i = 0; i < lines.size(); i++) {
        String l = lines.get(i);
        if (l.startsWith(prefix)) {
          lines.set(i, l.substring(Math.min(l.length(), prefix.length() + 1)));
        }
      }
    }
    return new ServerReply(code, status, lines);
  }

  private MailProtocolException malformed(int length) {
    String shown = new String(line, 0, Math.min(length, 80), StandardCharsets.ISO_8859_1);
    return new MailProtocolException("malformed server reply line: '" + printable(shown) + "'", null);
  }

  private static String printable(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      b.append(c >= 32 && c < 127 ? c : '?');
    }
    return b.toString();
  }

  /** Reads one line without its CRLF (a bare LF is tolerated) into {@link #line}. */
  private int readLine(long deadline, Duration timeout) throws IOException {
    int length = 0;
    while (true) {
      if (pos == limit) {
        fill(deadline, timeout);
      }
      byte b = buffer[pos++];
      if (b == '\n') {
        if (length > 0 && line[length - 1] == '\r') {
          length--;
        }
        return length;
      }
      if (length == maxLineLength) {
        throw new MailProtocolException(
            "server reply line longer than " + maxLineLength + " bytes", null);
      }
      line[length++] = b;
    }
  }

  private void fill(long deadline, Duration timeout) throws IOException {
    long remaining = deadline - System.nanoTime();
    if (remaining <= 0) {
      throw timedOut(timeout, null);
    }
    readTimeout.set((int) Math.max(1, Math.min(Integer.MAX_VALUE, remaining / 1_000_000)));
    int n;
    try {
      n = in.read(buffer, 0, buffer.length);
    } catch (SocketTimeoutException e) {
      throw timedOut(timeout, e);
    } catch (IOException e) {
      // a reset or a TLS failure: typed here, since the read may happen while a message source
      // is being written (a BDAT reply mid-message), where a bare IOException would be taken for
      // the source's own failure
      throw new MailConnectionException("reading the server's reply failed: " + e, true, e);
    }
    if (n < 0) {
      throw new MailConnectionException("connection closed by the server", true, null);
    }
    pos = 0;
    limit = n;
  }

  private static MailConnectionException timedOut(Duration timeout, Throwable cause) {
    return new MailConnectionException(
        "no complete reply from the server within " + timeout.toMillis() + " ms", true, cause);
  }
}
