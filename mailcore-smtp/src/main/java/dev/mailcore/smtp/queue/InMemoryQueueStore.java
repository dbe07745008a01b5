package dev.mailcore.smtp.queue;

import dev.mailcore.Content;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;

/**
 * A {@link QueueStore} in memory, for tests and for applications that accept losing queued mail on
 * a restart. Everything is lost when the process ends; nothing survives {@link #close()} either.
 *
 * <p>Thread-safe.
 *
 * @since 0.1
 */
public final class InMemoryQueueStore implements QueueStore {

  private final EntryIndex index = new EntryIndex();
  private final Map<QueueId, byte[]> bodies = new HashMap<>();
  private boolean closed;

  /** Creates an empty store. */
  public InMemoryQueueStore() {}

  @Override
  public void append(QueueEntry entry, Content message) {
    Objects.requireNonNull(entry, "entry");
    Objects.requireNonNull(message, "message");
    byte[] bytes;
    try {
      bytes = message.readAllBytes();
    } catch (RuntimeException e) {
      throw new QueueStoreException("cannot read the message to store", true, e);
    }
    synchronized (this) {
      checkOpen();
      if (index.contains(entry.id())) {
        throw new IllegalStateException("entry exists: " + entry.id());
      }
      index.put(entry);
      bodies.put(entry.id(), bytes);
    }
  }

  @Override
  public synchronized Content message(QueueId id) {
    byte[] bytes = bodies.get(Objects.requireNonNull(id, "id"));
    if (bytes == null) {
      throw new NoSuchElementException("no queue entry " + id);
    }
    return Content.ofBytes(bytes);
  }

  @Override
  public synchronized void update(QueueEntry entry) {
    checkOpen();
    if (!index.contains(entry.id())) {
      throw new NoSuchElementException("no queue entry " + entry.id());
    }
    index.put(entry);
  }

  @Override
  public synchronized void delete(QueueId id) {
    checkOpen();
    index.remove(id);
    bodies.remove(id);
  }

  @Override
  public synchronized Optional<QueueEntry> entry(QueueId id) {
    return index.get(id);
  }

  @Override
  public synchronized List<QueueEntry> entries() {
    return index.all();
  }

  @Override
  public synchronized List<QueueEntry> due(Instant now, int limit) {
    return index.due(now, limit);
  }

  @Override
  public synchronized boolean claim(QueueId id) {
    index.claim(id);
    return true;
  }

  @Override
  public synchronized void unclaim(QueueId id) {
    index.unclaim(id);
  }

  @Override
  public synchronized Optional<Instant> nextDue() {
    return index.nextDue();
  }

  @Override
  public synchronized int size() {
    return index.size();
  }

  @Override
  public synchronized void close() {
    closed = true;
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("store is closed");
    }
  }
}
