package dev.mailcore;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A server's reply to one command: the three-digit code, the enhanced status code when the server
 * sent one (RFC 2034), and the text lines without the code.
 *
 * @param code the reply code, 200 to 599
 * @param status the enhanced status code of the first line, when present
 * @param lines the text of each line, without code and enhanced status; never empty
 * @since 0.1
 */
public record ServerReply(int code, Optional<EnhancedStatus> status, List<String> lines) {

  /**
   * Validates and copies.
   *
   * @throws IllegalArgumentException when the code is out of range
   */
  public ServerReply {
    if (code < 200 || code > 599) {
      throw new IllegalArgumentException("reply code out of range: " + code);
    }
    Objects.requireNonNull(status, "status");
    lines = lines.isEmpty() ? List.of("") : List.copyOf(lines);
  }

  /** Creates a one-line reply. */
  public static ServerReply of(int code, String text) {
    Optional<EnhancedStatus> status = EnhancedStatus.parsePrefix(text);
    String rest = status.map(s -> text.substring(Math.min(text.length(), s.toString().length() + 1))).orElse(text);
    return new ServerReply(code, status, List.of(rest));
  }

  /** Returns the text lines joined by a space. */
  public String text() {
    return String.join(" ", lines);
  }

  /** Returns true for 2xx and 3xx replies. */
  public boolean isPositive() {
    return code < 400;
  }

  /** Returns true for 4xx replies: try again later. */
  public boolean isTransient() {
    return code >= 400 && code < 500;
  }

  /** Returns true for 5xx replies: do not try again unchanged. */
  public boolean isPermanent() {
    return code >= 500;
  }

  /** Renders the reply as it looked on the wire, first line only: {@code 550 5.1.1 No such user}. */
  @Override
  public String toString() {
    return code + status.map(s -> " " + s).orElse("") + (text().isEmpty() ? "" : " " + text());
  }
}
