package dev.mailcore;

import dev.mailcore.internal.HeaderChecks;

/**
 * One header field: a name and an unfolded value.
 *
 * <p>Names are 1 to 76 printable US-ASCII characters without a colon (RFC 5322 §2.2; a name
 * cannot be folded, so longer ones would not fit a 78-character line); neither names nor values may
 * contain CR, LF or other control characters except tab, so header injection is impossible.
 *
 * @param name the field name, such as {@code X-Campaign}
 * @param value the unfolded value; non-ASCII text is encoded when the message is written
 * @since 0.1
 */
public record Header(String name, String value) {

  /**
   * Validates.
   *
   * @throws MailFormatException naming the offending character and its index, or when the
   *     name is empty or longer than 76 characters
   * @throws NullPointerException when the name or value is null
   */
  public Header {
    HeaderChecks.checkName(name);
    HeaderChecks.checkValue(name, value);
  }

  /** Returns true when this header has the given name, ignoring case. */
  public boolean is(String headerName) {
    return name.equalsIgnoreCase(headerName);
  }
}
