package dev.mailcore.smtp.queue;

import dev.mailcore.Content;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Where a {@link MailQueue} keeps its messages: each message's RFC 5322 bytes, written once, and
 * its {@link QueueEntry} (per-recipient state), replaced atomically after every attempt. The
 * delivery agent knows nothing else about storage, so the embedded {@link FileQueueStore}, the
 * {@link InMemoryQueueStore} for tests, and a database store share this one small interface.
 *
 * <p>Implementations are thread-safe. A write method returns only once its change is durable (for a
 * store that claims durability), and each change is atomic: after a crash at any instant a reopened
 * store holds either the old or the new state. Opening a store recovers it: acknowledged entries
 * are there again, writes that were never acknowledged are gone.
 *
 * <p>A store shared by several processes (a database) hands out work by {@link QueueLease}: {@link
 * #claim(Instant, int)} marks due entries as leased to one owner, {@link #renew} extends live
 * leases, and the lease-taking {@link #update(QueueLease, QueueEntry)} and {@link
 * #delete(QueueLease)} apply only while the lease is still the entry's newest. The default methods
 * serve stores used by one process: every claim is granted, nothing expires.
 *
 * @since 0.1
 */
public interface QueueStore extends AutoCloseable {

  /**
   * Stores a new entry and its message bytes, reading {@code message} once.
   *
   * @throws IllegalStateException when an entry with the same id exists, or the store is closed
   * @throws QueueStoreException when the entry could not be made durable; nothing is stored
   */
  void append(QueueEntry entry, Content message);

  /**
   * Stores like {@link #append} without waiting: the future completes once the entry is durable, or
   * exceptionally with the exception {@code append} would have thrown. A store with group commit
   * lets one caller keep many appends in flight and so share each {@code fsync} among them. The
   * content must stay readable until the future completes. The default appends on the calling
   * thread.
   */
  default CompletableFuture<Void> appendAsync(QueueEntry entry, Content message) {
    try {
      append(entry, message);
      return CompletableFuture.completedFuture(null);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Replaces an entry's state like {@link #update} without waiting: the future completes once the
   * change is durable, or exceptionally with the exception {@code update} would have thrown. A
   * store with group commit shares one {@code fsync} among many such changes. The default updates
   * on the calling thread.
   */
  default CompletableFuture<Void> updateAsync(QueueEntry entry) {
    try {
      update(entry);
      return CompletableFuture.completedFuture(null);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Removes an entry like {@link #delete} without waiting: the future completes once the removal
   * is durable. The default deletes on the calling thread.
   */
  default CompletableFuture<Void> deleteAsync(QueueId id) {
    try {
      delete(id);
      return CompletableFuture.completedFuture(null);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Returns the stored bytes of a message; each {@link Content#open()} streams them afresh.
   *
   * @throws java.util.NoSuchElementException when there is no such entry
   * @throws QueueStoreException when the bytes cannot be read
   */
  Content message(QueueId id);

  /**
   * Replaces an entry's state (per-recipient status, attempts, next attempt, last reply).
   *
   * @throws java.util.NoSuchElementException when there is no such entry
   * @throws QueueStoreException when the change could not be made durable; the old state stands
   */
  void update(QueueEntry entry);

  /**
   * Removes an entry and its bytes; does nothing when there is none.
   *
   * @throws QueueStoreException when the removal could not be made durable
   */
  void delete(QueueId id);

  /** Returns the entry with {@code id}, when there is one. */
  Optional<QueueEntry> entry(QueueId id);

  /** Returns every entry, oldest first. May be large: meant for control and inspection. */
  List<QueueEntry> entries();

  /**
   * Returns at most {@code limit} entries with a recipient due at or before {@code now}, earliest
   * first.
   */
  List<QueueEntry> due(Instant now, int limit);

  /**
   * Leaves the entry out of {@link #due} and {@link #nextDue} until its state is next replaced or
   * it is deleted, or {@link #unclaim} is called: the queue claims an entry while a transaction for
   * it is in flight, so the due scan does not walk every entry in flight each time. A claim is not
   * stored (a reopened store has none). Returns false when the store does not support claims (the
   * default), in which case {@link #due} goes on returning the entry. This is a hint within one
   * process, not a lease: a store shared between processes excludes entries in flight by {@link
   * QueueLease} instead (see {@link #supportsLeases()}).
   */
  default boolean claim(QueueId id) {
    return false;
  }

  /** Ends a claim made with {@link #claim} on an entry whose state did not change. */
  default void unclaim(QueueId id) {}

  /** Returns when the earliest open recipient of any entry is due; empty when none is open. */
  Optional<Instant> nextDue();

  /** Returns the number of entries. */
  int size();

  /**
   * Returns true when this store is shared between processes, so its leases expire and may be
   * superseded: a {@link MailQueue} on it then takes work only through {@link #claim(Instant,
   * int)}, renews the leases of its transactions in flight every third of {@link
   * #leaseDuration()}, records outcomes with the lease-taking {@link #update(QueueLease,
   * QueueEntry)} and {@link #delete(QueueLease)}, gives back leases it cannot start at once, and
   * polls for work other processes queued. The default is false: leases are {@link
   * QueueLease#local local} and never lost.
   */
  default boolean supportsLeases() {
    return false;
  }

  /**
   * Returns how long a claim or a renewal leases an entry, for a store that {@link
   * #supportsLeases() supports leases}. The default, for stores whose leases never expire, is the
   * longest {@link Duration}.
   */
  default Duration leaseDuration() {
    return ChronoUnit.FOREVER.getDuration();
  }

  /**
   * Leases at most {@code limit} entries with a recipient due at or before {@code now}, earliest
   * first, skipping entries another owner holds. The default grants every due entry with a {@link
   * QueueLease#local local} lease.
   *
   * @throws IllegalArgumentException when {@code limit} is not positive
   * @throws QueueStoreException when the store cannot be read
   */
  default List<QueueLease> claim(Instant now, int limit) {
    Objects.requireNonNull(now, "now");
    if (limit <= 0) {
      throw new IllegalArgumentException("limit must be positive: " + limit);
    }
    List<QueueEntry> due = due(now, limit);
    List<QueueLease> leases = new ArrayList<>(due.size());
    for (QueueEntry e : due) {
      leases.add(QueueLease.local(e));
    }
    return leases;
  }

  /**
   * Leases like {@link #claim(Instant, int)} and says, with the leases, when the next entry falls
   * due: what a queue on a shared store asks for every time it looks for work. The default claims,
   * then asks {@link #nextDue()}; a database store answers both in one statement.
   *
   * @throws IllegalArgumentException when {@code limit} is not positive
   * @throws QueueStoreException when the store cannot be read
   * @since 0.1
   */
  default QueueClaim claimDue(Instant now, int limit) {
    List<QueueLease> leases = claim(now, limit);
    return new QueueClaim(leases, nextDue());
  }

  /**
   * Leases at most {@code limit} entries with a recipient of {@code domain} due at or before {@code
   * now}: more mail for an SMTP session already open to that destination. Domains compare in
   * their ASCII form, ignoring case.
   *
   * @throws IllegalArgumentException when {@code limit} is not positive
   * @throws QueueStoreException when the store cannot be read
   */
  default List<QueueLease> claim(String domain, Instant now, int limit) {
    Objects.requireNonNull(domain, "domain");
    Objects.requireNonNull(now, "now");
    if (limit <= 0) {
      throw new IllegalArgumentException("limit must be positive: " + limit);
    }
    String wanted = domain.toLowerCase(Locale.ROOT);
    List<QueueLease> out = new ArrayList<>();
    for (QueueEntry e : due(now, Integer.MAX_VALUE)) {
      boolean match =
          e.recipients().stream()
              .anyMatch(r -> r.isDue(now) && r.recipient().asciiDomain().toLowerCase(Locale.ROOT).equals(wanted));
      if (match) {
        out.add(QueueLease.local(e));
        if (out.size() == limit) {
          break;
        }
      }
    }
    return out;
  }

  /**
   * Extends the leases that are still held (token unchanged, not expired); returns them with their
   * new expiry. A lease missing from the result is lost: stop working on its entry.
   *
   * @throws QueueStoreException when the store cannot be written
   */
  default List<QueueLease> renew(Collection<QueueLease> leases) {
    return leases.stream().filter(l -> entry(l.id()).isPresent()).toList();
  }

  /**
   * Replaces the entry's state and ends the lease, if the lease is still held; the entry is then
   * free for the next claim once due.
   *
   * @return false, changing nothing, when the lease was lost (a newer claim, or no such entry)
   * @throws IllegalArgumentException when {@code entry} is not the leased entry
   * @throws QueueStoreException when the change could not be made durable; the old state stands
   */
  default boolean update(QueueLease lease, QueueEntry entry) {
    if (!lease.id().equals(entry.id())) {
      throw new IllegalArgumentException("lease is for " + lease.id() + ", not " + entry.id());
    }
    if (entry(entry.id()).isEmpty()) {
      return false;
    }
    update(entry);
    return true;
  }

  /**
   * Removes the leased entry and its bytes, if the lease is still held.
   *
   * @return false, removing nothing, when the lease was lost
   * @throws QueueStoreException when the removal could not be made durable
   */
  default boolean delete(QueueLease lease) {
    if (entry(lease.id()).isEmpty()) {
      return false;
    }
    delete(lease.id());
    return true;
  }

  /**
   * Replaces the leased entry's state like {@link #update(QueueLease, QueueEntry)} without
   * waiting: the future completes with what {@code update} would have returned once the change is
   * durable, or exceptionally with what it would have thrown. A store with group commit shares
   * one commit among many such outcomes. The default updates on the calling thread.
   *
   * @since 0.1
   */
  default CompletableFuture<Boolean> updateAsync(QueueLease lease, QueueEntry entry) {
    try {
      return CompletableFuture.completedFuture(update(lease, entry));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Removes the leased entry like {@link #delete(QueueLease)} without waiting; see {@link
   * #updateAsync(QueueLease, QueueEntry)}. The default removes on the calling thread.
   *
   * @since 0.1
   */
  default CompletableFuture<Boolean> deleteAsync(QueueLease lease) {
    try {
      return CompletableFuture.completedFuture(delete(lease));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Returns true when this store counts per-day rate limits itself, for every process sharing it
   * ({@link #takeDaily}); a {@link MailQueue} then leaves the per-day part of its {@link
   * RateLimit}s to the store. The default is false: each queue counts per day in its own process.
   */
  default boolean countsDailyLimits() {
    return false;
  }

  /**
   * Counts one message against the per-day limit {@code key} (a destination domain, say) for the
   * UTC calendar day {@code day}, unless {@code limit} messages were counted for that day already;
   * for a store that {@link #countsDailyLimits() counts daily limits}. The check and the count are
   * one atomic step across every process sharing the store.
   *
   * @return true when counted (the message may go), false when the day's allowance is used up
   * @throws UnsupportedOperationException when the store does not count daily limits (the default)
   * @throws QueueStoreException when the store cannot be reached
   */
  default boolean takeDaily(String key, LocalDate day, int limit) {
    throw new UnsupportedOperationException("this store does not count daily limits");
  }

  /**
   * Gives a lease back unchanged (the queue is closing, say), so another owner may claim the entry
   * at once instead of after the lease expires. Does nothing when the lease is lost.
   *
   * @throws QueueStoreException when the store cannot be written
   */
  default void release(QueueLease lease) {
    Objects.requireNonNull(lease, "lease");
  }

  /**
   * Gives several leases back like {@link #release(QueueLease)}; a database store does it in one
   * statement. The default releases them one by one.
   *
   * @throws QueueStoreException when the store cannot be written; leases not given back expire
   * @since 0.1
   */
  default void release(Collection<QueueLease> leases) {
    Objects.requireNonNull(leases, "leases");
    for (QueueLease lease : leases) {
      release(lease);
    }
  }

  /** Releases files, threads or connections; writes in progress finish first. Idempotent. */
  @Override
  void close();
}
