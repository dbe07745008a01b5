package dev.mailcore.smtp.internal;

import java.io.Closeable;
import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives socket writes a time-out, which blocking JDK sockets lack: a peer that stops reading would
 * otherwise block a sender for ever once the socket buffers are full. Sessions mark each write's
 * start and end (two volatile stores, no scheduling per write); one daemon thread sweeps the
 * registered writes periodically and closes the socket of any write older than its limit, which
 * makes the blocked write fail.
 *
 * <p>Thread-safe. One instance serves every session of a sender; {@link #close()} stops the
 * sweeper.
 */
public final class WriteWatchdog implements Closeable {
  private static final Logger LOG = LoggerFactory.getLogger(WriteWatchdog.class);

  private final ScheduledExecutorService sweeper;
  private final Set<Watch> watches = ConcurrentHashMap.newKeySet();

  /** One watched socket. */
  final class Watch implements Closeable {
    private final Socket socket;
    private final long limitNanos;
    private volatile long startedNanos;
    private volatile boolean fired;

    private Watch(Socket socket, Duration limit) {
      this.socket = socket;
      this.limitNanos = limit.toNanos();
    }

    void writeStarted() {
      startedNanos = System.nanoTime() | 1L;
    }

    void writeEnded() {
      startedNanos = 0;
    }

    /** Returns true when the watchdog closed the socket because a write took too long. */
    boolean hasFired() {
      return fired;
    }

    private void check(long now) {
      long started = startedNanos;
      if (started != 0 && now - started > limitNanos && !fired) {
        fired = true;
        try {
          socket.close();
        } catch (IOException e) {
          LOG.debug("closing a stalled connection failed: {}", e.toString());
        }
      }
    }

    @Override
    public void close() {
      watches.remove(this);
    }
  }

  /**
   * Starts a watchdog whose thread looks at the writes in progress every {@code sweepEvery}; a
   * write is aborted between its limit and its limit plus {@code sweepEvery}.
   */
  public WriteWatchdog(Duration sweepEvery) {
    Objects.requireNonNull(sweepEvery, "sweepEvery");
    sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "mailcore-smtp-write-watchdog");
      t.setDaemon(true);
      return t;
    });
    long period = Math.max(1, sweepEvery.toMillis());
    sweeper.scheduleWithFixedDelay(this::sweep, period, period, TimeUnit.MILLISECONDS);
  }

  /** Returns a sweep period suiting {@code limit}: a tenth of it, between 10 ms and 1 s. */
  public static Duration sweepPeriodFor(Duration limit) {
    long tenth = limit.toMillis() / 10;
    return Duration.ofMillis(Math.max(10, Math.min(1000, tenth)));
  }

  Watch watch(Socket socket, Duration limit) {
    Watch w = new Watch(socket, limit);
    watches.add(w);
    return w;
  }

  private void sweep() {
    long now = System.nanoTime();
    for (Watch w : watches) {
      w.check(now);
    }
  }

  /** Stops the sweeper thread. */
  @Override
  public void close() {
    sweeper.shutdownNow();
  }
}
