package dev.mailcore.smtp.queue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
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

  /** Adds or replaces an entry. */
  void put(QueueEntry entry) {
    QueueEntry old = entries.put(entry.id(), entry);
    if (old != null) {
      old.nextAttempt().ifPresent(t -> due.remove(new DueKey(t, old.id())));
    }
    entry.nextAttempt().ifPresent(t -> due.add(new DueKey(t, entry.id())));
  }

  /** Removes an entry; returns it, when there was one. */
  Optional<QueueEntry> remove(QueueId id) {
    QueueEntry old = entries.remove(id);
    if (old != null) {
      old.nextAttempt().ifPresent(t -> due.remove(new DueKey(t, old.id())));
    }
    return Optional.ofNullable(old);
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
