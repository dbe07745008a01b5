package dev.mailcore.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;

/**
 * A {@link Clock} that moves only when told, for tests of retries, back-off and expiry.
 *
 * <p>Thread-safe: {@link #advance} may be called from the test thread while others read.
 *
 * @since 0.1
 */
public final class ManualClock extends Clock {
  private final ZoneId zone;
  private volatile Instant now;

  /** Creates a clock at {@code start}, in UTC. */
  public ManualClock(Instant start) {
    this(start, ZoneOffset.UTC);
  }

  private ManualClock(Instant start, ZoneId zone) {
    this.now = Objects.requireNonNull(start, "start");
    this.zone = Objects.requireNonNull(zone, "zone");
  }

  /** Creates a clock at 2026-01-01T00:00:00Z. */
  public static ManualClock ofDefaults() {
    return new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
  }

  /**
   * Moves the clock forward.
   *
   * @throws IllegalArgumentException when {@code by} is negative
   */
  public synchronized void advance(Duration by) {
    if (by.isNegative()) {
      throw new IllegalArgumentException("a clock does not go back: " + by);
    }
    now = now.plus(by);
  }

  /** Sets the clock to {@code instant}. */
  public synchronized void set(Instant instant) {
    now = Objects.requireNonNull(instant, "instant");
  }

  @Override
  public ZoneId getZone() {
    return zone;
  }

  @Override
  public Clock withZone(ZoneId newZone) {
    return new ManualClock(now, newZone);
  }

  @Override
  public Instant instant() {
    return now;
  }
}
