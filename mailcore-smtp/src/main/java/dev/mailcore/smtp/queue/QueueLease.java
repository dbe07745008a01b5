package dev.mailcore.smtp.queue;

import java.time.Instant;
import java.util.Objects;

/**
 * The right to work on one queued entry until {@link #expires()}: what {@link QueueStore#claim}
 * hands out. Every write that ends an attempt ({@link QueueStore#update(QueueLease, QueueEntry)},
 * {@link QueueStore#delete(QueueLease)}) names the lease, and a store shared by several processes
 * applies it only while the lease's {@link #token()} is still the entry's newest, so an instance
 * that stalled past its lease cannot overwrite the attempt of the instance that rescued the entry.
 *
 * <p>A store used by one process only (the {@link FileQueueStore}, the {@link InMemoryQueueStore})
 * grants leases that never expire, with token 0; the {@link MailQueue} itself keeps two of its
 * workers off one entry.
 *
 * <p>Immutable and thread-safe.
 *
 * @param entry the entry as it was when claimed
 * @param owner who holds the lease (an instance id)
 * @param token the entry's claim counter when this lease was granted
 * @param expires when the lease runs out unless renewed
 * @since 0.1
 */
public record QueueLease(QueueEntry entry, String owner, long token, Instant expires) {

  /** The owner named by leases of stores that are not shared between processes. */
  public static final String LOCAL_OWNER = "local";

  /**
   * Validates.
   *
   * @throws IllegalArgumentException when the token is negative or the owner empty
   */
  public QueueLease {
    Objects.requireNonNull(entry, "entry");
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(expires, "expires");
    if (owner.isEmpty()) {
      throw new IllegalArgumentException("a lease needs an owner");
    }
    if (token < 0) {
      throw new IllegalArgumentException("lease token must not be negative: " + token);
    }
  }

  /**
   * Returns a lease on {@code entry} for a store not shared between processes: token 0, no expiry.
   */
  public static QueueLease local(QueueEntry entry) {
    return new QueueLease(entry, LOCAL_OWNER, 0, Instant.MAX);
  }

  /** Returns the id of the leased entry. */
  public QueueId id() {
    return entry.id();
  }

  /** Returns a copy that runs out at {@code until} instead. */
  public QueueLease renewedUntil(Instant until) {
    return new QueueLease(entry, owner, token, until);
  }
}
