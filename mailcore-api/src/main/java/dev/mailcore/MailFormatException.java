package dev.mailcore;

import java.util.OptionalInt;

/**
 * Thrown when input does not have the form a mail standard requires: a malformed address, a
 * header value with CR or LF, broken MIME. Fix the input; retrying does not help.
 *
 * <p>The message names what is wrong and, where the input is a string, the zero-based index of
 * the offending character ({@link #index()}).
 *
 * @since 0.1
 */
public class MailFormatException extends MailException {
  private static final long serialVersionUID = 1L;

  private final int index;

  /**
   * Creates an exception that points at a character of the input.
   *
   * @param message what is wrong
   * @param index zero-based index of the offending character, or -1 when there is none
   */
  public MailFormatException(String message, int index) {
    super(index >= 0 ? message + " (at index " + index + ")" : message, false);
    this.index = index;
  }

  /**
   * Creates an exception without a position, wrapping an underlying parse failure.
   *
   * @param message what is wrong
   * @param cause the underlying failure, or {@code null}
   */
  public MailFormatException(String message, Throwable cause) {
    super(message, false, cause);
    this.index = -1;
  }

  /** Returns the zero-based index of the offending character, when the input was a string. */
  public OptionalInt index() {
    return index >= 0 ? OptionalInt.of(index) : OptionalInt.empty();
  }
}
