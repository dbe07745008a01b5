package dev.mailcore.testing;

import dev.mailcore.StoredMessage;
import dev.mailcore.Watch;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A watch on a folder of an {@link InMemoryMailStore}: new messages are pushed to the listener on a
 * daemon thread of the watch's own, one call at a time, in delivery order. Thread-safe.
 */
final class MemoryWatch implements Watch {
  private static final Logger log = LoggerFactory.getLogger(MemoryWatch.class);

  private final String folder;
  private final Listener listener;
  private final Consumer<MemoryWatch> onClose;
  private final ExecutorService thread;
  private final AtomicBoolean active = new AtomicBoolean(true);

  MemoryWatch(String folder, Listener listener, Consumer<MemoryWatch> onClose) {
    this.folder = folder;
    this.listener = listener;
    this.onClose = onClose;
    this.thread =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "mailcore-memory-watch-" + folder);
              t.setDaemon(true);
              return t;
            });
  }

  String folder() {
    return folder;
  }

  /** Hands new messages to the listener on the watch thread; they are listed there. */
  void report(Supplier<List<StoredMessage>> messages) {
    if (!active.get()) {
      return;
    }
    try {
      thread.execute(() -> deliver(messages));
    } catch (RejectedExecutionException e) {
      // the watch was closed between the check and the hand-over: a closed watch reports nothing
      log.debug("watch on {} closed before new mail could be reported", folder);
    }
  }

  private void deliver(Supplier<List<StoredMessage>> messages) {
    if (!active.get()) {
      return;
    }
    List<StoredMessage> listed;
    try {
      listed = messages.get();
    } catch (RuntimeException e) {
      // the delivered message could not be rendered (a broken attachment source): nothing to
      // report, but the test's output must show why the listener heard nothing
      log.warn("new mail on {} could not be listed; the watch goes on", folder, e);
      return;
    }
    try {
      listener.newMail(listed);
    } catch (RuntimeException e) {
      // the listener contract forbids throwing; the watch must keep running for the next mail,
      // so the failure is logged where the test's output shows it
      log.warn("watch listener on {} threw; the watch goes on", folder, e);
    }
  }

  @Override
  public boolean isActive() {
    return active.get();
  }

  @Override
  public void close() {
    if (!active.compareAndSet(true, false)) {
      return;
    }
    thread.shutdown();
    onClose.accept(this);
  }

  @Override
  public String toString() {
    return "MemoryWatch{" + folder + (active.get() ? "" : ", closed") + "}";
  }
}
