package dev.mailcore.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ManualSchedulerTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  private final ManualClock clock = ManualClock.ofDefaults();
  private final ManualScheduler scheduler = new ManualScheduler(clock);
  private final List<String> log = Collections.synchronizedList(new ArrayList<>());

  private Runnable record(String name) {
    return () -> log.add(name + "@" + Duration.between(T0, clock.instant()).toSeconds());
  }

  @Test
  void runsNothingUntilDriven() {
    scheduler.execute(record("now"));
    scheduler.schedule(record("later"), 5, TimeUnit.SECONDS);

    assertThat(log).isEmpty();
    assertThat(scheduler.pendingTasks()).isEqualTo(2);
    assertThat(scheduler.nextDueTime()).contains(T0);
  }

  @Test
  void runsTasksInDueOrderWithTheClockAtEachDueTime() {
    scheduler.schedule(record("c"), 30, TimeUnit.SECONDS);
    scheduler.schedule(record("a"), 10, TimeUnit.SECONDS);
    scheduler.schedule(record("b"), 20, TimeUnit.SECONDS);

    int runs = scheduler.advance(Duration.ofSeconds(25));

    assertThat(runs).isEqualTo(2);
    assertThat(log).containsExactly("a@10", "b@20");
    assertThat(clock.instant()).isEqualTo(T0.plusSeconds(25));
    scheduler.advance(Duration.ofSeconds(5));
    assertThat(log).containsExactly("a@10", "b@20", "c@30");
  }

  @Test
  void tasksDueAtTheSameTimeRunInSubmissionOrder() {
    scheduler.schedule(record("first"), 1, TimeUnit.MINUTES);
    scheduler.schedule(record("second"), 60, TimeUnit.SECONDS);
    scheduler.execute(record("now"));

    scheduler.advance(Duration.ofMinutes(1));

    assertThat(log).containsExactly("now@0", "first@60", "second@60");
  }

  @Test
  void executeRunsOnTheDrivingThread() {
    List<Thread> ran = new ArrayList<>();
    scheduler.execute(() -> ran.add(Thread.currentThread()));

    assertThat(scheduler.runDueTasks()).isEqualTo(1);
    assertThat(ran).containsExactly(Thread.currentThread());
    assertThat(clock.instant()).isEqualTo(T0);
  }

  @Test
  void submitCompletesTheFutureWithTheResult() throws Exception {
    Future<String> f = scheduler.submit(() -> "done");
    assertThat(f.isDone()).isFalse();

    scheduler.runDueTasks();

    assertThat(f.get()).isEqualTo("done");
  }

  @Test
  void scheduledCallableFailureIsInItsFuture() {
    ScheduledFuture<String> f =
        scheduler.schedule(
            (Callable<String>)
                () -> {
                  throw new IllegalStateException("boom");
                },
            1,
            TimeUnit.SECONDS);

    scheduler.advance(Duration.ofSeconds(1));

    assertThatThrownBy(f::get).isInstanceOf(ExecutionException.class).hasRootCauseMessage("boom");
  }

  @Test
  void executedCommandThatThrowsFailsTheDrivingCall() {
    scheduler.execute(record("before"));
    scheduler.execute(
        () -> {
          throw new IllegalStateException("bug in task");
        });
    scheduler.execute(record("after"));

    assertThatThrownBy(scheduler::runDueTasks).hasMessage("bug in task");
    assertThat(log).containsExactly("before@0");
    assertThat(scheduler.runDueTasks()).isEqualTo(1);
    assertThat(log).containsExactly("before@0", "after@0");
  }

  @Test
  void submittedTaskThatThrowsKeepsItInTheFuture() {
    Future<?> f =
        scheduler.submit(
            () -> {
              throw new IllegalStateException("kept");
            });

    assertThat(scheduler.runDueTasks()).isEqualTo(1);
    assertThatThrownBy(f::get).hasRootCauseMessage("kept");
  }

  @Test
  void fixedRateRunsEveryPeriodFromTheFirstDueTime() {
    scheduler.scheduleAtFixedRate(record("tick"), 1, 3, TimeUnit.SECONDS);

    assertThat(scheduler.advance(Duration.ofSeconds(10))).isEqualTo(4);

    assertThat(log).containsExactly("tick@1", "tick@4", "tick@7", "tick@10");
  }

  @Test
  void fixedDelayCountsFromTheEndOfEachRun() {
    // each run takes a simulated second
    scheduler.scheduleWithFixedDelay(
        () -> {
          record("run").run();
          clock.advance(Duration.ofSeconds(1));
        },
        0,
        5,
        TimeUnit.SECONDS);

    scheduler.advance(Duration.ofSeconds(11));

    assertThat(log).containsExactly("run@0", "run@6");
  }

  @Test
  void fixedRateDoesNotDriftWithRunTime() {
    scheduler.scheduleAtFixedRate(
        () -> {
          record("run").run();
          clock.advance(Duration.ofSeconds(1));
        },
        0,
        5,
        TimeUnit.SECONDS);

    scheduler.advance(Duration.ofSeconds(11));

    assertThat(log).containsExactly("run@0", "run@5", "run@10");
  }

  @Test
  void cancelledTaskNeverRuns() {
    ScheduledFuture<?> f = scheduler.schedule(record("x"), 5, TimeUnit.SECONDS);

    assertThat(f.cancel(false)).isTrue();
    scheduler.advance(Duration.ofMinutes(1));

    assertThat(log).isEmpty();
    assertThat(f.isCancelled()).isTrue();
    assertThat(scheduler.pendingTasks()).isZero();
  }

  @Test
  void periodicTaskCanCancelItself() {
    AtomicInteger runs = new AtomicInteger();
    List<ScheduledFuture<?>> self = new ArrayList<>();
    self.add(
        scheduler.scheduleAtFixedRate(
            () -> {
              if (runs.incrementAndGet() == 3) {
                self.get(0).cancel(false);
              }
            },
            1,
            1,
            TimeUnit.SECONDS));

    scheduler.advance(Duration.ofSeconds(10));

    assertThat(runs).hasValue(3);
    assertThat(scheduler.pendingTasks()).isZero();
  }

  @Test
  void periodicTaskThatThrowsStopsAndKeepsTheException() {
    AtomicInteger runs = new AtomicInteger();
    ScheduledFuture<?> f =
        scheduler.scheduleAtFixedRate(
            () -> {
              if (runs.incrementAndGet() == 2) {
                throw new IllegalStateException("second run fails");
              }
            },
            1,
            1,
            TimeUnit.SECONDS);

    scheduler.advance(Duration.ofSeconds(10));

    assertThat(runs).hasValue(2);
    assertThat(f.isDone()).isTrue();
    assertThatThrownBy(f::get).hasRootCauseMessage("second run fails");
  }

  @Test
  void tasksScheduledByTasksRunWhenDueWithinTheSameAdvance() {
    scheduler.schedule(
        () -> {
          record("outer").run();
          scheduler.execute(record("inner-now"));
          scheduler.schedule(record("inner-later"), 3, TimeUnit.SECONDS);
          scheduler.schedule(record("inner-too-late"), 30, TimeUnit.SECONDS);
        },
        2,
        TimeUnit.SECONDS);

    scheduler.advance(Duration.ofSeconds(10));

    assertThat(log).containsExactly("outer@2", "inner-now@2", "inner-later@5");
    assertThat(scheduler.pendingTasks()).isEqualTo(1);
  }

  @Test
  void runDueTasksRunsTasksMadeDueByMovingTheClockDirectly() {
    scheduler.schedule(record("due"), 1, TimeUnit.HOURS);
    clock.advance(Duration.ofHours(2));

    scheduler.runDueTasks();

    assertThat(log).containsExactly("due@7200");
  }

  @Test
  void delayCountsDownWithTheClock() {
    ScheduledFuture<?> f = scheduler.schedule(record("x"), 90, TimeUnit.SECONDS);
    clock.advance(Duration.ofSeconds(30));
    assertThat(f.getDelay(TimeUnit.SECONDS)).isEqualTo(60);
  }

  @Test
  void advanceRefusesNegativeTime() {
    assertThatThrownBy(() -> scheduler.advance(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void shutdownRejectsNewTasksRunsDelayedOnesAndCancelsPeriodic() {
    scheduler.schedule(record("delayed"), 5, TimeUnit.SECONDS);
    ScheduledFuture<?> periodic =
        scheduler.scheduleAtFixedRate(record("tick"), 1, 1, TimeUnit.SECONDS);

    scheduler.shutdown();

    assertThat(scheduler.isShutdown()).isTrue();
    assertThat(periodic.isCancelled()).isTrue();
    assertThatThrownBy(() -> scheduler.execute(record("new")))
        .isInstanceOf(RejectedExecutionException.class);
    assertThat(scheduler.isTerminated()).isFalse();
    scheduler.advance(Duration.ofSeconds(5));
    assertThat(log).containsExactly("delayed@5");
    assertThat(scheduler.isTerminated()).isTrue();
    assertThat(scheduler.awaitTermination(1, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void shutdownNowReturnsAndCancelsWaitingTasks() {
    ScheduledFuture<?> a = scheduler.schedule(record("a"), 5, TimeUnit.SECONDS);
    scheduler.schedule(record("b"), 1, TimeUnit.SECONDS);

    List<Runnable> waiting = scheduler.shutdownNow();

    assertThat(waiting).hasSize(2);
    assertThat(a.isCancelled()).isTrue();
    assertThat(scheduler.isTerminated()).isTrue();
    scheduler.advance(Duration.ofMinutes(1));
    assertThat(log).isEmpty();
  }

  @Test
  void invokeAllRunsTasksAtOnce() throws Exception {
    List<Future<Integer>> results = scheduler.invokeAll(List.of(() -> 1, () -> 2));
    assertThat(results).allSatisfy(f -> assertThat(f.isDone()).isTrue());
    assertThat(results.get(1).get()).isEqualTo(2);
    assertThat(
            scheduler.invokeAny(
                List.<Callable<Integer>>of(
                    () -> {
                      throw new IllegalStateException("first fails");
                    },
                    () -> 7)))
        .isEqualTo(7);
  }

  @Test
  void tasksScheduledFromOtherThreadsRunOnTheDrivingThread() throws Exception {
    List<Thread> ran = Collections.synchronizedList(new ArrayList<>());
    Thread other =
        new Thread(
            () -> scheduler.schedule(() -> ran.add(Thread.currentThread()), 1, TimeUnit.SECONDS));
    other.start();
    other.join(5_000);

    scheduler.advance(Duration.ofSeconds(1));

    assertThat(ran).containsExactly(Thread.currentThread());
  }
}
