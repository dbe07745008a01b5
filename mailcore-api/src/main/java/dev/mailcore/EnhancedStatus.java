package dev.mailcore;

import java.util.Optional;

/**
 * An enhanced mail system status code (RFC 3463), such as {@code 5.1.1}: class, subject and
 * detail.
 *
 * @param statusClass 2 (success), 4 (persistent transient failure) or 5 (permanent failure)
 * @param subject 0 to 999
 * @param detail 0 to 999
 * @since 0.1
 */
public record EnhancedStatus(int statusClass, int subject, int detail) {

  /** {@code 5.1.10}: the recipient's domain publishes a null MX (RFC 7505). */
  public static final EnhancedStatus NULL_MX = new EnhancedStatus(5, 1, 10);

  /**
   * Validates the parts.
   *
   * @throws IllegalArgumentException when a part is out of range
   */
  public EnhancedStatus {
    if (statusClass != 2 && statusClass != 4 && statusClass != 5) {
      throw new IllegalArgumentException("status class must be 2, 4 or 5: " + statusClass);
    }
    if (subject < 0 || subject > 999 || detail < 0 || detail > 999) {
      throw new IllegalArgumentException("subject and detail must be 0..999");
    }
  }

  /**
   * Parses {@code class.subject.detail} at the start of {@code text}.
   *
   * @return the code, or empty when the text does not start with one
   */
  public static Optional<EnhancedStatus> parsePrefix(String text) {
    int[] parts = new int[3];
    int i = 0;
    int n = text.length();
    for (int p = 0; p < 3; p++) {
      int start = i;
      int value = 0;
      while (i < n && i - start < 3 && Character.isDigit(text.charAt(i))) {
        value = value * 10 + (text.charAt(i) - '0');
        i++;
      }
      if (i == start || (p == 0 && i - start != 1)) {
        return Optional.empty();
      }
      parts[p] = value;
      if (p < 2) {
        if (i >= n || text.charAt(i) != '.') {
          return Optional.empty();
        }
        i++;
      }
    }
    if (i < n && text.charAt(i) != ' ') {
      return Optional.empty();
    }
    if (parts[0] != 2 && parts[0] != 4 && parts[0] != 5) {
      return Optional.empty();
    }
    return Optional.of(new EnhancedStatus(parts[0], parts[1], parts[2]));
  }

  /**
   * Parses a whole code such as {@code 4.2.2}.
   *
   * @throws MailFormatException when the text is not an enhanced status code
   */
  public static EnhancedStatus parse(String text) {
    Optional<EnhancedStatus> status = parsePrefix(text);
    if (status.isEmpty() || status.get().toString().length() != text.length()) {
      throw new MailFormatException("not an enhanced status code: " + text, 0);
    }
    return status.get();
  }

  /** Returns true for class 5. */
  public boolean isPermanent() {
    return statusClass == 5;
  }

  @Override
  public String toString() {
    return statusClass + "." + subject + "." + detail;
  }
}
