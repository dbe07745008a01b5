package dev.mailcore.testing;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A {@link ScheduledExecutorService} that runs nothing by itself: tasks run on the test's thread
 * when the test calls {@link #advance} or {@link #runDueTasks}, in the order of their due time
 * (then of submission), with the {@link ManualClock} set to each task's due time as it runs. Code
 * that takes a clock and a scheduler can so be tested for retries, back-off and expiry without
 * sleeping.
 *
 * <p>Thread-safe: tasks may be scheduled from any thread; they run only on the thread that drives
 * the scheduler, one at a time.
 *
 * <pre>{@code
 * ManualClock clock = ManualClock.ofDefaults();
 * ManualScheduler scheduler = new ManualScheduler(clock);
 * Retrier retrier = new Retrier(clock, scheduler);   // the code under test
 * retrier.start();
 * scheduler.advance(Duration.ofMinutes(5));          // runs what was due within five minutes
 * }</pre>
 *
 * <p>{@link #execute} and {@link #submit} schedule with no delay: the task runs at the next {@code
 * runDueTasks} or {@code advance}. A task that throws keeps the exception in its future, as the
 * interface says, and a periodic one is not run again; a command given to {@link #execute}, which
 * has no future, makes the driving call throw instead. After {@link #shutdown()} no task is
 * accepted, delayed one-shot tasks still run when due, and periodic tasks are cancelled (the
 * defaults of {@link java.util.concurrent.ScheduledThreadPoolExecutor}). {@link #awaitTermination}
 * does not wait, since only the test can run tasks: it reports {@link #isTerminated()}. {@code
 * invokeAll} and {@code invokeAny} run their tasks at once on the calling thread.
 *
 * @since 0.1
 */
public final class ManualScheduler extends AbstractExecutorService
    implements ScheduledExecutorService {
  private final ManualClock clock;
  private final PriorityQueue<Task<?>> queue = new PriorityQueue<>();
  private long sequence;
  private boolean shutdown;

  /** Creates a scheduler whose time is {@code clock}. */
  public ManualScheduler(ManualClock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Returns the clock that drives this scheduler. */
  public ManualClock clock() {
    return clock;
  }

  /**
   * Moves the clock forward by {@code by}, running every task that falls due on the way, each at
   * its due time, including tasks scheduled by the tasks run. The clock ends at the start time plus
   * {@code by}.
   *
   * @return the number of task runs
   * @throws IllegalArgumentException when {@code by} is negative
   */
  public int advance(Duration by) {
    Objects.requireNonNull(by, "by");
    if (by.isNegative()) {
      throw new IllegalArgumentException("time does not go back: " + by);
    }
    Instant target = clock.instant().plus(by);
    int runs = 0;
    Task<?> next;
    while ((next = pollDue(target)) != null) {
      if (next.time.isAfter(clock.instant())) {
        clock.set(next.time);
      }
      next.runOnce();
      runs++;
    }
    if (target.isAfter(clock.instant())) {
      clock.set(target);
    }
    return runs;
  }

  /**
   * Runs every task due now, without moving the clock, including tasks with no delay that the tasks
   * run schedule.
   *
   * @return the number of task runs
   */
  public int runDueTasks() {
    return advance(Duration.ZERO);
  }

  /** Returns the number of tasks waiting to run (periodic tasks count once). */
  public synchronized int pendingTasks() {
    return queue.size();
  }

  /** Returns when the next task is due, if any is waiting. */
  public synchronized Optional<Instant> nextDueTime() {
    Task<?> head = queue.peek();
    return head == null ? Optional.empty() : Optional.of(head.time);
  }

  private synchronized Task<?> pollDue(Instant limit) {
    Task<?> head = queue.peek();
    if (head == null || head.time.isAfter(limit)) {
      return null;
    }
    return queue.poll();
  }

  private synchronized <V> Task<V> enqueue(Task<V> task) {
    if (shutdown) {
      throw new RejectedExecutionException("the scheduler is shut down");
    }
    queue.add(task);
    return task;
  }

  private synchronized void requeue(Task<?> task) {
    if (shutdown) {
      // periodic tasks stop at shutdown, as ScheduledThreadPoolExecutor does by default
      task.cancel(false);
      return;
    }
    queue.add(task);
  }

  private synchronized void remove(Task<?> task) {
    queue.remove(task);
  }

  private synchronized long nextSequence() {
    return sequence++;
  }

  private Instant dueIn(long delay, TimeUnit unit) {
    return clock.instant().plus(Duration.of(Math.max(0, delay), unit.toChronoUnit()));
  }

  private static Duration period(long period, TimeUnit unit) {
    if (period <= 0) {
      throw new IllegalArgumentException("period must be positive: " + period);
    }
    return Duration.of(period, unit.toChronoUnit());
  }

  @Override
  public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
    Objects.requireNonNull(command, "command");
    Objects.requireNonNull(unit, "unit");
    return enqueue(new Task<>(Executors.callable(command, null), dueIn(delay, unit), null, false));
  }

  @Override
  public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
    Objects.requireNonNull(callable, "callable");
    Objects.requireNonNull(unit, "unit");
    return enqueue(new Task<>(callable, dueIn(delay, unit), null, false));
  }

  @Override
  public ScheduledFuture<?> scheduleAtFixedRate(
      Runnable command, long initialDelay, long period, TimeUnit unit) {
    return periodic(command, initialDelay, period, unit, true);
  }

  @Override
  public ScheduledFuture<?> scheduleWithFixedDelay(
      Runnable command, long initialDelay, long delay, TimeUnit unit) {
    return periodic(command, initialDelay, delay, unit, false);
  }

  private ScheduledFuture<?> periodic(
      Runnable command, long initialDelay, long period, TimeUnit unit, boolean fixedRate) {
    Objects.requireNonNull(command, "command");
    Objects.requireNonNull(unit, "unit");
    Duration every = period(period, unit);
    return enqueue(
        new Task<>(Executors.callable(command, null), dueIn(initialDelay, unit), every, fixedRate));
  }

  /**
   * Schedules {@code command} with no delay; it runs at the next {@link #runDueTasks}. Having no
   * future to hold a failure, a command that throws makes that {@code runDueTasks} or {@code
   * advance} throw the same exception, so the test sees it; tasks not yet run stay queued.
   */
  @Override
  public void execute(Runnable command) {
    Objects.requireNonNull(command, "command");
    Task<Object> task =
        new Task<>(Executors.callable(command), dueIn(0, TimeUnit.NANOSECONDS), null, false);
    task.rethrow = true;
    enqueue(task);
  }

  @Override
  public <T> List<Future<T>> invokeAll(Collection<? extends Callable<T>> tasks) {
    List<Future<T>> futures = new ArrayList<>();
    for (Callable<T> c : tasks) {
      FutureTask<T> f = new FutureTask<>(Objects.requireNonNull(c, "task"));
      checkAccepting();
      f.run();
      futures.add(f);
    }
    return futures;
  }

  @Override
  public <T> List<Future<T>> invokeAll(
      Collection<? extends Callable<T>> tasks, long timeout, TimeUnit unit) {
    return invokeAll(tasks);
  }

  @Override
  public <T> T invokeAny(Collection<? extends Callable<T>> tasks) throws ExecutionException {
    ExecutionException last = null;
    for (Callable<T> c : tasks) {
      checkAccepting();
      try {
        return Objects.requireNonNull(c, "task").call();
      } catch (Exception e) {
        last = new ExecutionException(e);
      }
    }
    if (last == null) {
      throw new IllegalArgumentException("no tasks");
    }
    throw last;
  }

  @Override
  public <T> T invokeAny(Collection<? extends Callable<T>> tasks, long timeout, TimeUnit unit)
      throws ExecutionException {
    return invokeAny(tasks);
  }

  private synchronized void checkAccepting() {
    if (shutdown) {
      throw new RejectedExecutionException("the scheduler is shut down");
    }
  }

  @Override
  public synchronized void shutdown() {
    shutdown = true;
    List<Task<?>> periodic = queue.stream().filter(t -> t.period != null).toList();
    for (Task<?> t : periodic) {
      queue.remove(t);
      t.cancel(false);
    }
  }

  /** Cancels every waiting task and returns them (as their futures, which are Runnable). */
  @Override
  public List<Runnable> shutdownNow() {
    List<Task<?>> waiting;
    synchronized (this) {
      shutdown = true;
      waiting = new ArrayList<>(queue);
      queue.clear();
    }
    waiting.sort(null);
    for (Task<?> t : waiting) {
      t.cancel(false);
    }
    return new ArrayList<>(waiting);
  }

  @Override
  public synchronized boolean isShutdown() {
    return shutdown;
  }

  /** Returns true after shutdown once no task waits (tasks run only on the driving thread). */
  @Override
  public synchronized boolean isTerminated() {
    return shutdown && queue.isEmpty();
  }

  /** Returns {@link #isTerminated()} at once: waiting would never let a task run. */
  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) {
    return isTerminated();
  }

  @Override
  public synchronized String toString() {
    return "ManualScheduler{"
        + clock.instant()
        + ", pending="
        + queue.size()
        + (shutdown ? ", shut down" : "")
        + "}";
  }

  /** A scheduled task: one-shot when {@code period} is null, else at a fixed rate or delay. */
  private final class Task<V> extends FutureTask<V> implements ScheduledFuture<V> {
    private final long seq = nextSequence();
    private final Duration period;
    private final boolean fixedRate;
    private volatile Instant time;
    // set for execute(), whose caller has no future to look at
    private boolean rethrow;

    Task(Callable<V> callable, Instant time, Duration period, boolean fixedRate) {
      super(callable);
      this.time = time;
      this.period = period;
      this.fixedRate = fixedRate;
    }

    void runOnce() {
      if (period == null) {
        run();
        if (rethrow) {
          rethrowFailure();
        }
        return;
      }
      if (runAndReset()) {
        time = fixedRate ? time.plus(period) : clock.instant().plus(period);
        requeue(this);
      }
    }

    private void rethrowFailure() {
      try {
        get();
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        if (cause instanceof RuntimeException r) {
          throw r;
        }
        if (cause instanceof Error err) {
          throw err;
        }
        throw new IllegalStateException("task failed", cause);
      } catch (CancellationException e) {
        // cancelled from another thread while it ran: a cancelled task has no failure to report
      } catch (InterruptedException e) {
        // cannot happen, the task is done; keep the status for the caller all the same
        Thread.currentThread().interrupt();
      }
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      boolean cancelled = super.cancel(mayInterruptIfRunning);
      if (cancelled) {
        remove(this);
      }
      return cancelled;
    }

    @Override
    public long getDelay(TimeUnit unit) {
      Duration left = Duration.between(clock.instant(), time);
      return unit.convert(left);
    }

    @Override
    public int compareTo(Delayed other) {
      if (other instanceof ManualScheduler.Task<?> t) {
        int byTime = time.compareTo(t.time);
        return byTime != 0 ? byTime : Long.compare(seq, t.seq);
      }
      return Long.compare(getDelay(TimeUnit.NANOSECONDS), other.getDelay(TimeUnit.NANOSECONDS));
    }

    @Override
    public String toString() {
      return "Task{due "
          + time
          + (period == null ? "" : (fixedRate ? ", every " : ", delay ") + period)
          + "}";
    }
  }
}
