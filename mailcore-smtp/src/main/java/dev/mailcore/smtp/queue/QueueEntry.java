package dev.mailcore.smtp.queue;

import dev.mailcore.Envelope;
import dev.mailcore.Mailbox;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One queued message as the queue sees it: identifier, envelope, arrival time and the state of each
 * recipient. The message bytes stay in the {@link QueueStore}.
 *
 * <p>Immutable and thread-safe.
 *
 * @param id the queue identifier
 * @param envelope the envelope, as enqueued
 * @param created when the message was enqueued; the lifetime counts from here
 * @param recipients one state per envelope recipient, in envelope order
 * @param delayWarned whether the sender was already told the message is delayed
 * @since 0.1
 */
public record QueueEntry(
    QueueId id,
    Envelope envelope,
    Instant created,
    List<RecipientState> recipients,
    boolean delayWarned) {

  /**
   * Validates and copies.
   *
   * @throws IllegalArgumentException when there is no recipient state
   */
  public QueueEntry {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(envelope, "envelope");
    Objects.requireNonNull(created, "created");
    recipients = List.copyOf(recipients);
    if (recipients.isEmpty()) {
      throw new IllegalArgumentException("a queue entry needs at least one recipient");
    }
  }

  /** Creates the entry of a newly enqueued message: every recipient pending, due at once. */
  public static QueueEntry ofNew(QueueId id, Envelope envelope, Instant created) {
    List<RecipientState> states = new ArrayList<>();
    for (Mailbox r : envelope.recipients()) {
      states.add(RecipientState.pending(r, created));
    }
    return new QueueEntry(id, envelope, created, states, false);
  }

  /** Returns when the earliest open recipient is due; empty when every recipient is final. */
  public Optional<Instant> nextAttempt() {
    Instant earliest = null; // a loop: the due index and every dispatch call this per entry
    for (RecipientState r : recipients) {
      Optional<Instant> next = r.nextAttempt();
      if (next.isPresent() && (earliest == null || next.get().isBefore(earliest))) {
        earliest = next.get();
      }
    }
    return Optional.ofNullable(earliest);
  }

  /** Returns true when every recipient is delivered or failed. */
  public boolean isFinished() {
    for (RecipientState r : recipients) {
      if (!r.isFinal()) {
        return false;
      }
    }
    return true;
  }

  /** Returns the most attempts made for any recipient. */
  public int attempts() {
    int most = 0;
    for (RecipientState r : recipients) {
      most = Math.max(most, r.attempts());
    }
    return most;
  }

  /** Returns the recipients in {@code status}. */
  public List<RecipientState> recipients(RecipientState.Status status) {
    return recipients.stream().filter(r -> r.status() == status).toList();
  }

  /** Returns the state of {@code recipient}, when it is in the envelope. */
  public Optional<RecipientState> recipient(Mailbox recipient) {
    return recipients.stream().filter(r -> r.recipient().sameAddress(recipient)).findFirst();
  }

  /** Returns a copy with other recipient states. */
  QueueEntry withRecipients(List<RecipientState> states) {
    return new QueueEntry(id, envelope, created, states, delayWarned);
  }

  /** Returns a copy marked as delay-warned. */
  QueueEntry withDelayWarned() {
    return new QueueEntry(id, envelope, created, recipients, true);
  }
}
