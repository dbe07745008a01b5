package dev.mailcore.smtp;

import dev.mailcore.Envelope;
import dev.mailcore.SendResult;
import java.time.Duration;

/**
 * Hears of each message a sender handles, for progress displays, metrics and audit logs. Every
 * method has a no-op default, so implementations override only what they need.
 *
 * <p>Methods are called from the sender's threads, possibly several at once, so implementations
 * must be thread-safe; they must return quickly and must not throw (an exception is logged and
 * otherwise ignored, it never changes an outcome).
 *
 * <pre>{@code
 * DeliveryListener counter = new DeliveryListener() {
 *   public void sendFinished(Envelope envelope, SendResult result, Duration elapsed) {
 *     delivered.add(result.withStatus(DeliveryStatus.DELIVERED).size());
 *   }
 * };
 * }</pre>
 *
 * @since 0.1
 */
public interface DeliveryListener {

  /** A listener that does nothing. */
  DeliveryListener NONE = new DeliveryListener() {};

  /** A message is about to be sent; {@link #sendFinished} follows exactly once. */
  default void sendStarted(Envelope envelope) {}

  /**
   * A message has an outcome for every recipient.
   *
   * @param elapsed time from {@link #sendStarted} to the outcome
   */
  default void sendFinished(Envelope envelope, SendResult result, Duration elapsed) {}

  /**
   * A message could not be attempted at all; the caller gets {@code failure} as an exception.
   * Follows {@link #sendStarted} instead of {@link #sendFinished}.
   */
  default void sendFailed(Envelope envelope, RuntimeException failure) {}
}
