package dev.mailcore.smtp.queue;

import java.time.Duration;
import java.util.Objects;

/**
 * When a queue tries a deferred recipient again, and when it gives up: an exponential back-off from
 * a first delay, multiplied by a factor after each failed attempt up to a cap, and a lifetime after
 * which a message that still could not be delivered is bounced (the MTA convention, as in Postfix's
 * {@code minimal_backoff_time}, {@code maximal_backoff_time} and {@code maximal_queue_lifetime}).
 *
 * <p>Immutable and thread-safe.
 *
 * <pre>{@code
 * RetryPolicy policy = RetryPolicy.exponential(Duration.ofMinutes(2), 2.0, Duration.ofMinutes(30))
 *     .lifetime(Duration.ofDays(2));
 * }</pre>
 *
 * @since 0.1
 */
public final class RetryPolicy {

  private static final RetryPolicy DEFAULTS =
      new RetryPolicy(Duration.ofMinutes(5), 2.0, Duration.ofHours(1), Duration.ofDays(5));

  private final Duration first;
  private final double factor;
  private final Duration cap;
  private final Duration lifetime;

  private RetryPolicy(Duration first, double factor, Duration cap, Duration lifetime) {
    this.first = first;
    this.factor = factor;
    this.cap = cap;
    this.lifetime = lifetime;
  }

  /**
   * Returns the defaults: first retry after 5 minutes, doubling to at most 1 hour, lifetime 5 days.
   */
  public static RetryPolicy ofDefaults() {
    return DEFAULTS;
  }

  /**
   * Returns a back-off that waits {@code first} after the first failure, then multiplies by {@code
   * factor} after each failure up to {@code cap}; the lifetime is the default 5 days.
   *
   * @throws IllegalArgumentException when {@code first} is not positive, {@code factor} is below 1
   *     or {@code cap} is shorter than {@code first}
   */
  public static RetryPolicy exponential(Duration first, double factor, Duration cap) {
    Objects.requireNonNull(first, "first");
    Objects.requireNonNull(cap, "cap");
    if (first.isNegative() || first.isZero()) {
      throw new IllegalArgumentException("first delay must be positive: " + first);
    }
    if (!(factor >= 1.0) || Double.isInfinite(factor)) {
      throw new IllegalArgumentException("factor must be at least 1: " + factor);
    }
    if (cap.compareTo(first) < 0) {
      throw new IllegalArgumentException(
          "cap " + cap + " is shorter than the first delay " + first);
    }
    return new RetryPolicy(first, factor, cap, DEFAULTS.lifetime);
  }

  /**
   * Returns a copy that gives up {@code value} after a message was enqueued.
   *
   * @throws IllegalArgumentException when {@code value} is not positive
   */
  public RetryPolicy lifetime(Duration value) {
    Objects.requireNonNull(value, "value");
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException("lifetime must be positive: " + value);
    }
    return new RetryPolicy(first, factor, cap, value);
  }

  /** Returns how long a message may stay queued before its open recipients are bounced. */
  public Duration lifetime() {
    return lifetime;
  }

  /**
   * Returns the wait after the given number of failed attempts.
   *
   * @param failedAttempts attempts made so far, at least 1
   * @throws IllegalArgumentException when {@code failedAttempts} is below 1
   */
  public Duration delayAfter(int failedAttempts) {
    if (failedAttempts < 1) {
      throw new IllegalArgumentException("failedAttempts must be at least 1: " + failedAttempts);
    }
    double millis = first.toMillis() * Math.pow(factor, failedAttempts - 1);
    if (millis >= cap.toMillis() || Double.isInfinite(millis)) {
      return cap;
    }
    return Duration.ofMillis((long) millis);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RetryPolicy p
        && first.equals(p.first)
        && Double.compare(factor, p.factor) == 0
        && cap.equals(p.cap)
        && lifetime.equals(p.lifetime);
  }

  @Override
  public int hashCode() {
    return Objects.hash(first, factor, cap, lifetime);
  }

  @Override
  public String toString() {
    return "RetryPolicy{first="
        + first
        + ", factor="
        + factor
        + ", cap="
        + cap
        + ", lifetime="
        + lifetime
        + "}";
  }
}
