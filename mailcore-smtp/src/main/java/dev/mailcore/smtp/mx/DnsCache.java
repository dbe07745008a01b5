package dev.mailcore.smtp.mx;

import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The answers of DNS queries by name and type, kept until their TTL runs out. Our own cache, so
 * that no resolver shares dnsjava's process-wide {@code Lookup} cache (STYLE rule 14).
 *
 * <p>Thread-safe. Two threads that miss on the same key at once both query; the later answer
 * wins, which is harmless for DNS data.
 *
 * @param <K> the key: name and type
 * @param <V> the answer
 */
final class DnsCache<K, V> {
  private record Entry<V>(V value, Instant expires) {}

  private final Map<K, Entry<V>> entries = new ConcurrentHashMap<>();
  private final int maxEntries;

  DnsCache(int maxEntries) {
    this.maxEntries = maxEntries;
  }

  /** Returns the answer for {@code key} when it has not expired at {@code now}. */
  Optional<V> get(K key, Instant now) {
    Entry<V> e = entries.get(key);
    if (e == null) {
      return Optional.empty();
    }
    if (!now.isBefore(e.expires())) {
      entries.remove(key, e);
      return Optional.empty();
    }
    return Optional.of(e.value());
  }

  /** Keeps {@code value} for {@code ttl} from {@code now}; a zero TTL keeps nothing. */
  void put(K key, V value, Instant now, Duration ttl) {
    if (ttl.isZero() || ttl.isNegative()) {
      return;
    }
    if (entries.size() >= maxEntries) {
      evict(now);
    }
    entries.put(key, new Entry<>(value, now.plus(ttl)));
  }

  /** Forgets everything. */
  void clear() {
    entries.clear();
  }

  int size() {
    return entries.size();
  }

  /** Drops expired entries; when that is not enough, drops arbitrary ones down to 3/4 full. */
  private void evict(Instant now) {
    entries.values().removeIf(e -> !now.isBefore(e.expires()));
    Iterator<K> keys = entries.keySet().iterator();
    while (entries.size() > maxEntries * 3 / 4 && keys.hasNext()) {
      keys.next();
      keys.remove();
    }
  }
}
