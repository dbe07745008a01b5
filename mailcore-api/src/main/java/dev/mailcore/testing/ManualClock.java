package dev.mailcore.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A {@link Clock} that moves only when told, for tests of retries, back-off and expiry.
 *
 * <p>Thread-safe: {@link #advance} may be called from the test thread while others read.
 *
 * @since 0.1
 */
public final class ManualClock extends Clock {
  private final ZoneId zone;
  // shared with the copies withZone makes, so that they move together
  private final AtomicReference<Instant> now;

  /** Creates a clock at {@code start}, in UTC. */
  public ManualClock(Instant start) {
    this(new AtomicReference<>(Objects.requireNonNull(start, "start")), ZoneOffset.UTC);
  }

  private ManualClock(AtomicReference<Instant> now, ZoneId zone) {
    this.now = now;
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
  public void advance(Duration by) {
    Objects.requireNonNull(by, "by");
    if (by.isNegative()) {
      throw new IllegalArgumentException("a clock does not go back: " + by);
    }
    now.updateAndGet(t -> t.plus(by));
  }

  /** Sets the clock to {@code instant}. */
  public void set(Instant instant) {
    now.set(Objects.requireNonNull(instant, "instant"));
  }

  @Override
  public ZoneId getZone() {
    return zone;
  }

  /** Returns a view of this clock in another zone; it moves whenever this clock moves. */
  @Override
  public ManualClock withZone(ZoneId newZone) {
    return new ManualClock(now, newZone);
  }

  @Override
  public Instant instant() {
    return now.get();
  }
}
