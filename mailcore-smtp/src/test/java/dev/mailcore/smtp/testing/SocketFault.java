package dev.mailcore.smtp.testing;

import java.time.Duration;
import java.util.Objects;

/**
 * A misbehaviour the {@link ScriptedSmtpServer} shows at a chosen {@link SmtpStep}: drop the
 * connection, reset it, go silent, answer slowly, send an endless or malformed line.
 *
 * <p>Immutable and thread-safe.
 *
 * @param kind what the server does
 * @param afterReply true to answer the command normally first, then misbehave
 * @param delay for {@link Kind#SLOW}: the pause before each byte of the reply
 * @param text for {@link Kind#RAW}: the bytes sent instead of a reply (CRLF added); with {@code
 *     afterReply}, when not empty, the reply sent before misbehaving
 */
public record SocketFault(Kind kind, boolean afterReply, Duration delay, String text) {

  /** The kinds of misbehaviour. */
  public enum Kind {
    /** Close the connection cleanly (FIN), after flushing what was answered. */
    DISCONNECT,
    /** Close with a TCP reset (linger 0). */
    RESET,
    /** Stop reading and answering; keep the connection open until the server closes. */
    STALL,
    /** Answer normally, but one byte at a time with a pause before each. */
    SLOW,
    /** Send a reply line that never ends. */
    ENDLESS_LINE,
    /** Send {@link #text} instead of the reply. */
    RAW,
    /** Answer normally, then send {@link #text} unasked in a write (a TLS record) of its own. */
    UNASKED
  }

  /** Validates. */
  public SocketFault {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(delay, "delay");
    Objects.requireNonNull(text, "text");
  }

  /** Drops the connection instead of answering. */
  public static SocketFault disconnect() {
    return new SocketFault(Kind.DISCONNECT, false, Duration.ZERO, "");
  }

  /** Answers the command, then drops the connection. */
  public static SocketFault disconnectAfterReply() {
    return new SocketFault(Kind.DISCONNECT, true, Duration.ZERO, "");
  }

  /** Answers the command with {@code reply} (such as a 421), then drops the connection. */
  public static SocketFault disconnectAfter(String reply) {
    return new SocketFault(Kind.DISCONNECT, true, Duration.ZERO, reply);
  }

  /**
   * Answers the command normally, then sends {@code text} (such as a 421 before closing an idle
   * connection) unasked, in a write of its own: under TLS, a record of its own.
   */
  public static SocketFault thenUnasked(String text) {
    return new SocketFault(Kind.UNASKED, true, Duration.ZERO, text);
  }

  /** Resets the connection instead of answering. */
  public static SocketFault reset() {
    return new SocketFault(Kind.RESET, false, Duration.ZERO, "");
  }

  /** Goes silent: neither answers nor reads any more. */
  public static SocketFault stall() {
    return new SocketFault(Kind.STALL, false, Duration.ZERO, "");
  }

  /** Answers with a pause of {@code perByte} before each byte. */
  public static SocketFault slow(Duration perByte) {
    return new SocketFault(Kind.SLOW, false, perByte, "");
  }

  /** Sends a line that never ends. */
  public static SocketFault endlessLine() {
    return new SocketFault(Kind.ENDLESS_LINE, false, Duration.ZERO, "");
  }

  /** Sends {@code line} (any bytes, CRLF appended) instead of the reply. */
  public static SocketFault raw(String line) {
    return new SocketFault(Kind.RAW, false, Duration.ZERO, line);
  }
}
