package dev.mailcore;

import dev.mailcore.internal.HeaderChecks;

/**
 * One header field: a name and an unfolded value.
 *
 * <p>Names are printable US-ASCII without a colon (RFC 5322 §2.2); neither names nor values may
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
   * @throws MailFormatException naming the offending character and its index
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
