package dev.mailcore.internal;

import dev.mailcore.MailFormatException;
import java.util.Objects;

/** Validation of header names and values against injection (RFC 5322 §2.2, §3.6.8). */
public final class HeaderChecks {
  private HeaderChecks() {}

  /** Checks a field name: 1 or more printable US-ASCII characters except colon. */
  public static void checkName(String name) {
    Objects.requireNonNull(name, "name");
    if (name.isEmpty()) {
      throw new MailFormatException("header name is empty", 0);
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
