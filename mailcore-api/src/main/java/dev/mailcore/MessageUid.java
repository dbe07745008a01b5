package dev.mailcore;

import java.util.Objects;

/**
 * The protocol-neutral, stable identifier of a stored message within its folder: the IMAP UID
 * qualified by UIDVALIDITY ({@code "1700000000:42"}), or the POP3 UIDL. It stays the same across
 * connections, so an application can store it.
 *
 * @param value the identifier, printable ASCII
 * @since 0.1
 */
public record MessageUid(String value) {
  /**
   * Validates.
   *
   * @throws IllegalArgumentException when empty or not printable ASCII
   */
  public MessageUid {
    Objects.requireNonNull(value, "value");
    if (value.isEmpty()) {
      throw new IllegalArgumentException("message uid is empty");
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < 33 || c > 126) {
        throw new IllegalArgumentException("message uid must be printable ASCII, index " + i);
      }
    }
  }

  /** Creates a uid. */
  public static MessageUid of(String value) {
    return new MessageUid(value);
  }

  @Override
  public String toString() {
    return value;
  }
}
