package dev.mailcore.smtp.queue;

import dev.mailcore.Mailbox;
import dev.mailcore.RecipientResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Records queue events as short strings ({@code finished <id>}, ...) and lets a test wait, with a
 * deadline, until the worker threads produced them. Thread-safe.
 */
final class RecordingListener implements QueueListener {

  private final List<String> events = new ArrayList<>();
  private final List<Optional<QueueId>> notifications = new ArrayList<>();
  private final java.util.Map<QueueId, QueueEntry> finished = new java.util.HashMap<>();

  @Override
  public synchronized void enqueued(QueueEntry entry) {
    add("enqueued " + entry.id());
  }

  @Override
  public void attemptStarted(QueueEntry entry, List<Mailbox> recipients) {
    add("started " + entry.id() + " " + recipients);
  }

  @Override
  public void attemptFinished(QueueEntry entry, List<RecipientResult> results) {
    add(
        "attempt "
            + entry.id()
            + " "
            + results.stream().map(r -> r.recipient() + "=" + r.status()).toList());
  }

  @Override
  public void delivered(QueueEntry entry, Mailbox recipient) {
    add("delivered " + entry.id() + " " + recipient);
  }

  @Override
  public void expired(QueueEntry entry, Mailbox recipient) {
    add("expired " + entry.id() + " " + recipient);
  }

  @Override
  public synchronized void bounced(
      QueueEntry entry, List<RecipientState> failed, Optional<QueueId> notification) {
    notifications.add(notification);
    add(
        "bounced "
            + entry.id()
            + " "
            + failed.stream().map(RecipientState::recipient).toList()
            + " dsn="
            + notification.map(QueueId::value).orElse("none"));
  }

  @Override
  public void delayed(QueueEntry entry, QueueId notification) {
    add("delayed " + entry.id() + " dsn=" + notification);
  }

  @Override
  public void finished(QueueEntry entry) {
    synchronized (this) {
      finished.put(entry.id(), entry);
    }
    add("finished " + entry.id());
  }

  synchronized QueueEntry finishedEntry(QueueId id) {
    return finished.get(id);
  }

  @Override
  public void cancelled(QueueEntry entry) {
    add("cancelled " + entry.id());
  }

  private synchronized void add(String event) {
    events.add(event);
    notifyAll();
  }

  synchronized List<String> events() {
    return List.copyOf(events);
  }

  synchronized List<Optional<QueueId>> notifications() {
    return List.copyOf(notifications);
  }

  synchronized long count(String prefix) {
    return events.stream().filter(e -> e.startsWith(prefix)).count();
  }

  /** Waits until {@code n} events start with {@code prefix}; fails after 10 s. */
  synchronized void await(String prefix, long n) throws InterruptedException {
    await(e -> e.startsWith(prefix), n, prefix);
  }

  synchronized void await(Predicate<String> match, long n, String what)
      throws InterruptedException {
    long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (events.stream().filter(match).count() < n) {
      long left = end - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError("waited for " + n + " x '" + what + "'; events: " + events);
      }
      wait(Math.max(1, left / 1_000_000));
    }
  }
}
