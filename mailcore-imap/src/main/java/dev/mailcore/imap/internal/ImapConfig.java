package dev.mailcore.imap.internal;

import dev.mailcore.internal.StoreSettings;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The frozen configuration of one {@code ImapStore}.
 *
 * @param settings connection settings shared with POP3
 * @param fetchBatchSize messages per FETCH when listing
 * @param prefetchBodies largest message whose body is fetched with its batch; 0 for none
 * @param idle whether watches use IDLE where the server has it
 * @param idleRearm how long one IDLE runs before DONE and a new IDLE
 * @param pollInterval NOOP polling interval of watches without IDLE
 * @param reconnectDelay first back-off delay of a watch after a drop
 * @param maxReconnectDelay cap of the back-off
 * @param prefetchBatchMessages most messages whose bodies one prefetching FETCH asks for
 * @param prefetchBatchBytes most bytes of bodies one prefetching FETCH asks for
 * @param clock the clock that tells how long a watch's connection stayed up
 * @param scheduler runs watches' keep-alive NOOPs and reconnect attempts; null for a thread of
 *     each watch's own
 */
public record ImapConfig(
    StoreSettings settings,
    int fetchBatchSize,
    long prefetchBodies,
    boolean idle,
    Duration idleRearm,
    Duration pollInterval,
    Duration reconnectDelay,
    Duration maxReconnectDelay,
    int prefetchBatchMessages,
    long prefetchBatchBytes,
    Clock clock,
    ScheduledExecutorService scheduler) {

  /** Validates. */
  public ImapConfig {
    Objects.requireNonNull(settings, "settings");
    Objects.requireNonNull(idleRearm, "idleRearm");
    Objects.requireNonNull(pollInterval, "pollInterval");
    Objects.requireNonNull(reconnectDelay, "reconnectDelay");
    Objects.requireNonNull(maxReconnectDelay, "maxReconnectDelay");
    Objects.requireNonNull(clock, "clock");
  }

  /**
   * Returns how often an idling watch interrupts IDLE with a NOOP: at the re-arm interval, but
   * at least twice per read time-out, because Angus applies the read time-out while idling and a
   * healthy but quiet server must not look dead.
   */
  public Duration keepAlive() {
    Duration half = settings.readTimeout().dividedBy(2);
    return half.compareTo(idleRearm) < 0 ? half : idleRearm;
  }

  /** Checks that {@code d} is positive. */
  public static Duration positive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive: " + d);
    }
    return d;
  }
}
