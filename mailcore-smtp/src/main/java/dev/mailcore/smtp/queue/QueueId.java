package dev.mailcore.smtp.queue;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The identifier of one queued message: letters, digits and {@code -}, at most 64 characters, so it
 * is safe in file names, log lines and database keys. Identifiers made by {@link MailQueue} start
 * with the enqueue time, so they sort roughly by age.
 *
 * <p>Immutable and thread-safe.
 *
 * @param value the identifier text
 * @since 0.1
 */
public record QueueId(String value) {

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final AtomicLong COUNTER = new AtomicLong(RANDOM.nextInt() & 0xffffffL);

  /**
   * Validates.
   *
   * @throws IllegalArgumentException when the text is empty, too long or has other characters
   */
  public QueueId {
    Objects.requireNonNull(value, "value");
    if (value.isEmpty() || value.length() > 64) {
      throw new IllegalArgumentException("a queue id has 1 to 64 characters: " + value.length());
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
      if (!ok) {
        throw new IllegalArgumentException("bad character in queue id at index " + i);
      }
    }
  }

  /**
   * Parses an identifier as {@link #toString()} writes it.
   *
   * @throws IllegalArgumentException when the text is not a queue id
   */
  public static QueueId parse(String text) {
    return new QueueId(Objects.requireNonNull(text, "text"));
  }

  /** Makes a new identifier: the time in milliseconds, a random part and a counter, in hex. */
  static QueueId next(Instant now) {
    long seq = COUNTER.incrementAndGet() & 0xffffffffL;
    int random = ThreadLocalRandom.current().nextInt(); // the counter starts from SecureRandom
    char[] out = new char[11 + 1 + 8 + 1 + 8];
    hex(out, 0, 11, now.toEpochMilli());
    out[11] = '-';
    hex(out, 12, 8, random & 0xffffffffL);
    out[20] = '-';
    hex(out, 21, 8, seq);
    return new QueueId(new String(out));
  }

  /** Writes the low {@code digits} hex digits of {@code value}, zero-padded (like {@code %0Nx}). */
  private static void hex(char[] out, int at, int digits, long value) {
    long v = value;
    for (int i = at + digits - 1; i >= at; i--) {
      out[i] = Character.forDigit((int) (v & 0xf), 16);
      v >>>= 4;
    }
  }

  @Override
  public String toString() {
    return value;
  }
}
