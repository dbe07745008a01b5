package dev.mailcore.smtp.queue;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What one {@link QueueStore#claimDue(Instant, int)} hands out: the leases granted, and when the
 * next entry falls due, so a queue on a shared store learns both in one round trip.
 *
 * <p>Immutable and thread-safe.
 *
 * @param leases the leases granted, earliest due first
 * @param nextDue when the earliest open recipient of an entry is due, as {@link
 *     QueueStore#nextDue()} says; a store may leave out entries due at or before the claim's
 *     {@code now} (they are claimable already), so this is empty or after {@code now} then
 * @since 0.1
 */
public record QueueClaim(List<QueueLease> leases, Optional<Instant> nextDue) {

  /** Copies the list. */
  public QueueClaim {
    leases = List.copyOf(Objects.requireNonNull(leases, "leases"));
    Objects.requireNonNull(nextDue, "nextDue");
  }
}
