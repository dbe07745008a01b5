package dev.mailcore.smtp.queue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The entries of a store in arrival order plus an ordered set by next attempt, so due entries are
 * found without a scan. Not thread-safe: the owning store guards it.
 */
final class EntryIndex {

  private record DueKey(Instant due, QueueId id) {}

  private static final Comparator<DueKey> ORDER =
      Comparator.comparing(DueKey::due).thenComparing(k -> k.id().value());

  private final Map<QueueId, QueueEntry> entries = new LinkedHashMap<>();
  private final TreeSet<DueKey> due = new TreeSet<>(ORDER);
  private final Map<QueueId, DueKey> claimed = new HashMap<>();

  /** Adds or replaces an entry; a new state ends a claim. */
  void put(QueueEntry entry) {
    QueueEntry old = entries.put(entry.id(), entry);
    if (old != null) {
      unindex(old);
    }
    entry.nextAttempt().ifPresent(t -> due.add(new DueKey(t, entry.id())));
  }

  /** Removes an entry; returns it, when there was one. */
  Optional<QueueEntry> remove(QueueId id) {
    QueueEntry old = entries.remove(id);
    if (old != null) {
      unindex(old);
    }
    return Optional.ofNullable(old);
  }

  private void unindex(QueueEntry old) {
    if (claimed.remove(old.id()) == null) {
      old.nextAttempt().ifPresent(t -> due.remove(new DueKey(t, old.id())));
    }
  }

  /** Takes an entry out of {@link #due} until its next state, or {@link #unclaim}. */
  void claim(QueueId id) {
    QueueEntry e = entries.get(id);
    if (e == null || claimed.containsKey(id) || e.nextAttempt().isEmpty()) {
      return;
    }
    DueKey key = new DueKey(e.nextAttempt().get(), id);
    due.remove(key);
    claimed.put(id, key);
  }

  /** Puts a claimed entry whose state did not change back among the due ones. */
  void unclaim(QueueId id) {
    DueKey key = claimed.remove(id);
    if (key != null) {
      due.add(key);
    }
  }

  Optional<QueueEntry> get(QueueId id) {
    return Optional.ofNullable(entries.get(id));
  }

  boolean contains(QueueId id) {
    return entries.containsKey(id);
  }

  List<QueueEntry> all() {
    return List.copyOf(entries.values());
  }

  int size() {
    return entries.size();
  }

  List<QueueEntry> due(Instant now, int limit) {
    List<QueueEntry> out = new ArrayList<>();
    for (DueKey k : due) {
      if (k.due().isAfter(now) || out.size() >= limit) {
        break;
      }
      out.add(entries.get(k.id()));
    }
    return out;
  }

  Optional<Instant> nextDue() {
    return due.isEmpty() ? Optional.empty() : Optional.of(due.first().due());
  }
}
