package dev.mailcore.smtp.queue;

import dev.mailcore.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A scheduler that runs nothing by itself: tasks wait until the test advances the {@link
 * ManualClock} past their time and calls {@link #runDue()}. Until the shared ManualScheduler lands
 * from the fakes branch, the queue tests use this one. Thread-safe for scheduling.
 */
final class DrivenScheduler extends AbstractExecutorService implements ScheduledExecutorService {

  private final ManualClock clock;
  private final PriorityQueue<Task> tasks = new PriorityQueue<>();
  private long sequence;
  private boolean shutdown;

  DrivenScheduler(ManualClock clock) {
    this.clock = clock;
  }

  /** Advances the clock and runs every task due by then, in time order. */
  void advance(Duration by) {
    clock.advance(by);
    runDue();
  }

  /** Runs every task due now; returns how many ran. */
  int runDue() {
    int ran = 0;
    while (true) {
      Task next;
      synchronized (this) {
        next = tasks.peek();
        if (next == null || next.due.isAfter(clock.instant())) {
          return ran;
        }
        tasks.poll();
      }
      if (!next.isCancelled()) {
        next.run();
        ran++;
      }
    }
  }

  /** Returns when the earliest live task is due, or null. */
  synchronized Instant nextDue() {
    tasks.removeIf(Task::isCancelled);
    return tasks.isEmpty() ? null : tasks.peek().due;
  }

  final class Task implements ScheduledFuture<Object>, Runnable {
    final Instant due;
    final long seq;
    final Runnable body;
    volatile boolean cancelled;
    volatile boolean done;

    Task(Instant due, long seq, Runnable body) {
      this.due = due;
      this.seq = seq;
      this.body = body;
    }

    @Override
    public void run() {
      try {
        body.run();
      } finally {
        done = true;
      }
    }

    @Override
    public long getDelay(TimeUnit unit) {
      return unit.convert(Duration.between(clock.instant(), due));
    }

    @Override
    public int compareTo(Delayed o) {
      Task t = (Task) o;
      int c = due.compareTo(t.due);
      return c != 0 ? c : Long.compare(seq, t.seq);
    }

    @Override
    public boolean cancel(boolean mayInterrupt) {
      cancelled = true;
      return !done;
    }

    @Override
    public boolean isCancelled() {
      return cancelled;
    }

    @Override
    public boolean isDone() {
      return done || cancelled;
    }

    @Override
    public Object get() {
      throw new UnsupportedOperationException("a driven task is not awaited");
    }

    @Override
    public Object get(long timeout, TimeUnit unit) {
      throw new UnsupportedOperationException("a driven task is not awaited");
    }
  }

  @Override
  public synchronized ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
    Task t = new Task(clock.instant().plusNanos(unit.toNanos(Math.max(0, delay))), sequence++, command);
    tasks.add(t);
    return t;
  }

  @Override
  public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
    throw new UnsupportedOperationException("not needed by the queue");
  }

  @Override
  public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
    throw new UnsupportedOperationException("not needed by the queue");
  }

  @Override
  public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
    throw new UnsupportedOperationException("not needed by the queue");
  }

  @Override
  public void execute(Runnable command) {
    schedule(command, 0, TimeUnit.NANOSECONDS);
  }

  @Override
  public synchronized void shutdown() {
    shutdown = true;
  }

  @Override
  public synchronized List<Runnable> shutdownNow() {
    shutdown = true;
    List<Runnable> out = new ArrayList<>(tasks);
    tasks.clear();
    return out;
  }

  @Override
  public synchronized boolean isShutdown() {
    return shutdown;
  }

  @Override
  public synchronized boolean isTerminated() {
    return shutdown;
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) {
    return true;
  }
}
