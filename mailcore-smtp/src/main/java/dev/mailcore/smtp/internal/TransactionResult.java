package dev.mailcore.smtp.internal;

import dev.mailcore.RecipientResult;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What one SMTP transaction achieved: one {@link RecipientResult} per envelope recipient (in
 * envelope order, {@code remoteHost} filled), and, when the transaction was cut short, why and
 * whether sending it again is safe.
 *
 * <p>Retry safety is the point of this type. {@link #isRetrySafe()} is true only when the
 * transaction was interrupted (connection lost, time-out, protocol error, unreadable source)
 * before the end of its data was handed to the connection, so the server cannot have accepted the
 * message and a retry on a fresh session cannot produce a duplicate. When the end of the data
 * was sent but its reply never came, the accepted recipients are {@code DEFERRED} and {@code
 * isRetrySafe()} is false: the server may have taken the message, so a retry may duplicate it
 * (acceptable for a queue, which prefers a duplicate to a loss; not done automatically by the
 * relay's pool).
 *
 * <p>Immutable and thread-safe.
 *
 * @param recipients one result per recipient, in envelope order
 * @param completed true when the server answered every command of the transaction
 * @param retrySafe true when interrupted before the server could have accepted the data
 * @param failure what interrupted the transaction, when something did
 */
public record TransactionResult(
    List<RecipientResult> recipients,
    boolean completed,
    boolean retrySafe,
    Optional<Exception> failure) {

  /** Validates and copies. */
  public TransactionResult {
    recipients = List.copyOf(recipients);
    Objects.requireNonNull(failure, "failure");
    if (completed && retrySafe) {
      throw new IllegalArgumentException("a completed transaction is not retried");
    }
  }

  /** Returns true when the server answered every command of the transaction. */
  public boolean isCompleted() {
    return completed;
  }

  /** Returns true when the transaction may be sent again without risking a duplicate. */
  public boolean isRetrySafe() {
    return retrySafe;
  }
}
