package dev.mailcore.smtp.queue;

import dev.mailcore.Mailbox;
import dev.mailcore.RecipientResult;
import java.util.List;
import java.util.Optional;

/**
 * Hears what a {@link MailQueue} does, to record, count or show progress. Every method has a no-op
 * default, so an implementation overrides only what it needs.
 *
 * <p>Methods are called from the queue's worker and caller threads, possibly concurrently, so an
 * implementation must be thread-safe. They must return quickly and not throw; an exception is
 * logged and otherwise ignored. A method that reports a state change is called only once the new
 * state is durable in the {@link QueueStore}.
 *
 * @since 0.1
 */
public interface QueueListener {

  /** A listener that does nothing. */
  QueueListener NONE = new QueueListener() {};

  /** A message was accepted; its entry and bytes are durable. */
  default void enqueued(QueueEntry entry) {}

  /** A delivery attempt for {@code recipients} (all of one destination domain) starts. */
  default void attemptStarted(QueueEntry entry, List<Mailbox> recipients) {}

  /**
   * A delivery attempt ended with one result per recipient tried; {@code entry} is the new, durable
   * state.
   */
  default void attemptFinished(QueueEntry entry, List<RecipientResult> results) {}

  /** {@code recipient}'s server accepted the message. */
  default void delivered(QueueEntry entry, Mailbox recipient) {}

  /** {@code recipient} was still deferred when the message's lifetime ran out; it is now failed. */
  default void expired(QueueEntry entry, Mailbox recipient) {}

  /**
   * Every recipient is final and {@code failed} of them failed. {@code notification} is the queue
   * id of the delivery status notification queued for the sender, empty when the message had the
   * empty reverse-path (a bounce never bounces).
   */
  default void bounced(
      QueueEntry entry, List<RecipientState> failed, Optional<QueueId> notification) {}

  /** A delay warning for the still deferred recipients was queued for the sender. */
  default void delayed(QueueEntry entry, QueueId notification) {}

  /** The message left the queue: every recipient is final (delivered or failed). */
  default void finished(QueueEntry entry) {}

  /** The message was cancelled and removed from the queue without a notification. */
  default void cancelled(QueueEntry entry) {}
}
