package dev.mailcore.smtp.queue;

import java.util.OptionalInt;

/**
 * How many messages a queue may hand to the network per second and per day, for one destination
 * domain or overall. Free mail providers cap a sender at about 100 messages a day; paid plans sell
 * higher caps. A message counts once per destination it is sent to.
 *
 * <p>Each limit works as a token bucket: up to the limit may go at once, and the allowance refills
 * evenly over the period (a daily limit of 100 refills one message every 14.4 minutes). On a
 * store that {@link QueueStore#countsDailyLimits() counts daily limits} (the PostgreSQL store), the
 * per-day part is instead a count per UTC calendar day kept in the store, shared by every instance
 * on it, so several instances together stay within the limit.
 *
 * <p>Immutable and thread-safe.
 *
 * @param perSecond messages per second; 0 for no limit
 * @param perDay messages per day; 0 for no limit
 * @since 0.1
 */
public record RateLimit(int perSecond, int perDay) {

  private static final RateLimit UNLIMITED = new RateLimit(0, 0);

  /**
   * Validates.
   *
   * @throws IllegalArgumentException when a value is negative
   */
  public RateLimit {
    if (perSecond < 0 || perDay < 0) {
      throw new IllegalArgumentException("rate limits must not be negative");
    }
  }

  /** Returns no limit. */
  public static RateLimit unlimited() {
    return UNLIMITED;
  }

  /**
   * Returns a limit of {@code n} messages per second.
   *
   * @throws IllegalArgumentException when {@code n} is not positive
   */
  public static RateLimit perSecond(int n) {
    return new RateLimit(positive(n), 0);
  }

  /**
   * Returns a limit of {@code n} messages per day.
   *
   * @throws IllegalArgumentException when {@code n} is not positive
   */
  public static RateLimit perDay(int n) {
    return new RateLimit(0, positive(n));
  }

  /**
   * Returns a copy that also allows at most {@code n} messages per day.
   *
   * @throws IllegalArgumentException when {@code n} is not positive
   */
  public RateLimit andPerDay(int n) {
    return new RateLimit(perSecond, positive(n));
  }

  /**
   * Returns a copy that also allows at most {@code n} messages per second.
   *
   * @throws IllegalArgumentException when {@code n} is not positive
   */
  public RateLimit andPerSecond(int n) {
    return new RateLimit(positive(n), perDay);
  }

  /** Returns the limit per second, when there is one. */
  public OptionalInt secondLimit() {
    return perSecond == 0 ? OptionalInt.empty() : OptionalInt.of(perSecond);
  }

  /** Returns the limit per day, when there is one. */
  public OptionalInt dayLimit() {
    return perDay == 0 ? OptionalInt.empty() : OptionalInt.of(perDay);
  }

  /** Returns true when nothing is limited. */
  public boolean isUnlimited() {
    return perSecond == 0 && perDay == 0;
  }

  private static int positive(int n) {
    if (n <= 0) {
      throw new IllegalArgumentException("a rate limit must be positive: " + n);
    }
    return n;
  }
}
