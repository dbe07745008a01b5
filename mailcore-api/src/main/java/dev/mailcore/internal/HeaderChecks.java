package dev.mailcore.internal;

import dev.mailcore.MailFormatException;
import java.util.Objects;

/** Validation of header names and values against injection (RFC 5322 §2.2, §3.6.8). */
public final class HeaderChecks {
  private HeaderChecks() {}

  /**
   * Longest field name: a name cannot be folded, so "Name: " must fit in the 78 characters RFC
   * 5322 §2.1.1 recommends for a line (and leaves room for the value within 998).
   */
  public static final int MAX_NAME_LENGTH = 76;

  /** Longest Message-ID or Content-ID: it is written unfolded, on one line of at most 998. */
  public static final int MAX_ID_LENGTH = 900;

  /** Longest Content-Type of an attachment: it is written unfolded, on one line of at most 998. */
  public static final int MAX_CONTENT_TYPE_LENGTH = 900;

  private static final String TSPECIALS = "()<>@,;:\\\"/[]?=";

  /** Checks a field name: 1 to 76 printable US-ASCII characters except colon. */
  public static void checkName(String name) {
    Objects.requireNonNull(name, "name");
    if (name.isEmpty()) {
      throw new MailFormatException("header name is empty", 0);
    }
    if (name.length() > MAX_NAME_LENGTH) {
      throw new MailFormatException(
          "header name is longer than " + MAX_NAME_LENGTH + " characters", MAX_NAME_LENGTH);
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c < 33 || c > 126 || c == ':') {
        throw new MailFormatException(
            "header name '" + printable(name) + "' contains " + describe(c), i);
      }
    }
  }

  /** Checks a field value: no CR, LF, NUL or other control characters except horizontal tab. */
  public static void checkValue(String name, String value) {
    Objects.requireNonNull(value, "value");
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if ((c < 32 && c != '\t') || c == 127) {
        throw new MailFormatException("header " + name + " value contains " + describe(c), i);
      }
    }
  }

  /**
   * Checks the inside of a Message-ID or Content-ID (RFC 5322 §3.6.4, without the angle
   * brackets): not empty, no white space, control characters, quotes or angle brackets, at most
   * {@link #MAX_ID_LENGTH} characters. Non-ASCII is allowed (RFC 6532).
   */
  public static void checkId(String field, String id) {
    Objects.requireNonNull(id, "id");
    if (id.isEmpty()) {
      throw new MailFormatException(field + " is empty", 0);
    }
    if (id.length() > MAX_ID_LENGTH) {
      throw new MailFormatException(
          field + " is longer than " + MAX_ID_LENGTH + " characters", MAX_ID_LENGTH);
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (c <= 32 || c == 127 || c == '<' || c == '>' || c == '"' || c == '\\') {
        throw new MailFormatException(field + " contains " + describe(c), i);
      }
    }
  }

  /**
   * Checks an attachment's content type: {@code type/subtype} (RFC 2045 §5.1 tokens), then
   * optional parameters with balanced quotes, no control characters, at most {@link
   * #MAX_CONTENT_TYPE_LENGTH} characters.
   */
  public static void checkContentType(String contentType) {
    checkValue("Content-Type", contentType);
    if (contentType.length() > MAX_CONTENT_TYPE_LENGTH) {
      throw new MailFormatException("content type is longer than " + MAX_CONTENT_TYPE_LENGTH
          + " characters", MAX_CONTENT_TYPE_LENGTH);
    }
    int semicolon = contentType.indexOf(';');
    int baseEnd = semicolon < 0 ? contentType.length() : semicolon;
    int slash = contentType.indexOf('/');
    if (slash < 1 || slash >= baseEnd - 1) {
      throw new MailFormatException("content type must be type/subtype", Math.max(slash, 0));
    }
    for (int i = 0; i < baseEnd; i++) {
      char c = contentType.charAt(i);
      if (i != slash && (c <= 32 || c >= 127 || TSPECIALS.indexOf(c) >= 0)) {
        throw new MailFormatException("content type must be type/subtype, not " + describe(c), i);
      }
    }
    boolean quoted = false;
    for (int i = baseEnd; i < contentType.length(); i++) {
      char c = contentType.charAt(i);
      if (quoted && c == '\\') {
        i++;
      } else if (c == '"') {
        quoted = !quoted;
      }
    }
    if (quoted) {
      throw new MailFormatException("content type has an unclosed quoted string",
          contentType.length());
    }
  }

  /** Names a character for an error message: {@code CR (U+000D)}. */
  public static String describe(char c) {
    String hex = String.format("U+%04X", (int) c);
    switch (c) {
      case '\r':
        return "CR (" + hex + ")";
      case '\n':
        return "LF (" + hex + ")";
      case 0:
        return "NUL (" + hex + ")";
      case ':':
        return "':' (" + hex + ")";
      default:
        return (c < 32 || c == 127 ? "control character" : "'" + c + "'") + " (" + hex + ")";
    }
  }

  private static String printable(String s) {
    StringBuilder b = new StringBuilder();
    for (char c : s.toCharArray()) {
      b.append(c < 32 || c == 127 ? '?' : c);
    }
    return b.toString();
  }
}
