package dev.mailcore.smtp.queue.jdbc;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * Writes items in groups, one transaction per group: while a group commits, the next collects
 * every item that arrives meanwhile (up to a maximum) and commits them together, so concurrent
 * callers share a commit and its WAL flush. A caller of {@link #submit} that finds no commit
 * running writes the group itself (no thread hand-off); {@link #submitAsync} leaves the work to a
 * committer thread of its own when no caller is writing.
 *
 * <p>Thread-safe.
 *
 * @param <T> the items
 */
final class GroupCommit<T extends GroupCommit.Item> {

  /** One write waiting for its group; the writer sets {@link #failure} when it failed alone. */
  abstract static class Item {
    RuntimeException failure;
    boolean done;
    CompletableFuture<Void> future; // set for submitAsync only
  }

  private final String threadName;
  private final int maxGroup;
  private final Consumer<List<T>> writer;
  private final Object lock = new Object();
  private final ArrayDeque<T> pending = new ArrayDeque<>();
  private boolean committing;
  private boolean closed;
  private ExecutorService committer;

  /**
   * @param writer writes one group in one transaction; it sets an item's failure when that item
   *     failed alone, and throws when the whole group failed
   */
  GroupCommit(String threadName, int maxGroup, Consumer<List<T>> writer) {
    this.threadName = Objects.requireNonNull(threadName, "threadName");
    this.maxGroup = maxGroup;
    this.writer = Objects.requireNonNull(writer, "writer");
  }

  /** Returns how many items wait for the next group. */
  int pending() {
    synchronized (lock) {
      return pending.size();
    }
  }

  /**
   * Waits until {@code item} is committed, writing the group itself when no commit runs.
   *
   * @throws IllegalStateException when closed
   * @throws RuntimeException the item's failure
   */
  void submit(T item) {
    synchronized (lock) {
      checkOpen();
      pending.add(item);
    }
    while (commitNext(item)) {
      // the item was not in that group: commit or wait for the next
    }
    if (item.failure != null) {
      throw item.failure;
    }
  }

  /** Queues {@code item} for the next group; the future completes once it is committed. */
  CompletableFuture<Void> submitAsync(T item) {
    item.future = new CompletableFuture<>();
    synchronized (lock) {
      if (closed) {
        return CompletableFuture.failedFuture(new IllegalStateException("store is closed"));
      }
      pending.add(item);
      if (committer == null) {
        committer =
            Executors.newSingleThreadExecutor(
                r -> {
                  Thread t = new Thread(r, threadName);
                  t.setDaemon(true);
                  return t;
                });
      }
      committer.execute(
          () -> {
            while (commitNext(null)) {
              // keep committing while items wait
            }
          });
    }
    return item.future;
  }

  /**
   * Waits until no commit runs, then commits the next group of waiting items.
   *
   * @param mine the caller's item, or null for the committer thread
   * @return false when {@code mine} is done or nothing waits; true after committing a group
   */
  private boolean commitNext(T mine) {
    boolean interrupted = false;
    List<T> batch = new ArrayList<>();
    try {
      synchronized (lock) {
        while (committing && (mine == null || !mine.done)) {
          try {
            lock.wait();
          } catch (InterruptedException e) {
            // the item may be in the transaction being committed: wait for its outcome
            interrupted = true;
          }
        }
        if ((mine != null && mine.done) || pending.isEmpty()) {
          return false;
        }
        committing = true;
        while (!pending.isEmpty() && batch.size() < maxGroup) {
          batch.add(pending.poll());
        }
      }
      try {
        write(batch);
      } finally {
        synchronized (lock) {
          committing = false;
          lock.notifyAll();
        }
      }
      return true;
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void write(List<T> batch) {
    try {
      writer.accept(batch);
    } catch (RuntimeException e) {
      for (T item : batch) {
        item.failure = e;
      }
    } finally {
      synchronized (lock) {
        for (T item : batch) {
          item.done = true;
        }
      }
      for (T item : batch) {
        if (item.future != null) {
          if (item.failure != null) {
            item.future.completeExceptionally(item.failure);
          } else {
            item.future.complete(null);
          }
        }
      }
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("store is closed");
    }
  }

  /** Stops taking items; groups being committed and items waiting finish first. Idempotent. */
  void close() {
    synchronized (lock) {
      closed = true;
      boolean interrupted = false;
      while (committing || !pending.isEmpty()) {
        try {
          lock.wait();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      if (committer != null) {
        committer.shutdown();
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
