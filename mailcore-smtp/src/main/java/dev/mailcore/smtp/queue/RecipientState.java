package dev.mailcore.smtp.queue;

import dev.mailcore.Mailbox;
import dev.mailcore.RecipientResult;
import dev.mailcore.ServerReply;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Where one recipient of a queued message stands: its state, how many attempts were made, when the
 * next one is due, and what the last attempt heard.
 *
 * <p>Immutable and thread-safe.
 *
 * @param recipient the envelope recipient
 * @param status pending, delivered, deferred or failed
 * @param attempts the delivery attempts made so far
 * @param nextAttempt when the next attempt is due; empty once the recipient is final
 * @param lastAttempt when the last attempt ended; empty before the first
 * @param lastReply the server reply of the last attempt, when a server replied
 * @param diagnostic what the last attempt found, in words; empty before the first
 * @param remoteHost the host that answered the last attempt, when one did
 * @since 0.1
 */
public record RecipientState(
    Mailbox recipient,
    Status status,
    int attempts,
    Optional<Instant> nextAttempt,
    Optional<Instant> lastAttempt,
    Optional<ServerReply> lastReply,
    Optional<String> diagnostic,
    Optional<String> remoteHost) {

  /** The state of one recipient. */
  public enum Status {
    /** Not yet tried. */
    PENDING,
    /** Accepted by the recipient's server; final. */
    DELIVERED,
    /** A temporary failure; tried again at {@link RecipientState#nextAttempt()}. */
    DEFERRED,
    /** A permanent failure or expired lifetime; final, reported to the sender. */
    FAILED;

    /** Returns true for DELIVERED and FAILED. */
    public boolean isFinal() {
      return this == DELIVERED || this == FAILED;
    }
  }

  /**
   * Validates.
   *
   * @throws IllegalArgumentException when attempts is negative, or a final state has a next
   *     attempt, or an open state has none
   */
  public RecipientState {
    Objects.requireNonNull(recipient, "recipient");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(nextAttempt, "nextAttempt");
    Objects.requireNonNull(lastAttempt, "lastAttempt");
    Objects.requireNonNull(lastReply, "lastReply");
    Objects.requireNonNull(diagnostic, "diagnostic");
    Objects.requireNonNull(remoteHost, "remoteHost");
    if (attempts < 0) {
      throw new IllegalArgumentException("attempts must not be negative: " + attempts);
    }
    if (status.isFinal() == nextAttempt.isPresent()) {
      throw new IllegalArgumentException(
          status + (status.isFinal() ? " has no next attempt" : " needs a next attempt"));
    }
  }

  /** Creates the state of a recipient not yet tried, due at {@code due}. */
  public static RecipientState pending(Mailbox recipient, Instant due) {
    return new RecipientState(
        recipient,
        Status.PENDING,
        0,
        Optional.of(due),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty());
  }

  /** Returns true when the recipient is delivered or failed. */
  public boolean isFinal() {
    return status.isFinal();
  }

  /** Returns true when the recipient is open and due at or before {@code now}. */
  public boolean isDue(Instant now) {
    return nextAttempt.isPresent() && !nextAttempt.get().isAfter(now);
  }

  /**
   * Returns the state after an attempt that ended at {@code at} with {@code result}.
   *
   * @param status the new status (the result's, or FAILED when the lifetime ran out)
   * @param next the next attempt, empty for a final status
   */
  RecipientState after(
      RecipientResult result,
      Status status,
      Instant at,
      Optional<Instant> next,
      String diagnostic) {
    return new RecipientState(
        recipient,
        status,
        attempts + 1,
        next,
        Optional.of(at),
        result.reply(),
        Optional.of(diagnostic),
        result.remoteHost());
  }

  /**
   * Returns a copy due at {@code due}, for an open recipient; final ones are returned as they are.
   */
  RecipientState dueAt(Instant due) {
    if (isFinal()) {
      return this;
    }
    return new RecipientState(
        recipient,
        status,
        attempts,
        Optional.of(due),
        lastAttempt,
        lastReply,
        diagnostic,
        remoteHost);
  }
}
