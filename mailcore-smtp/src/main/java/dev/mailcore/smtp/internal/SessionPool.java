package dev.mailcore.smtp.internal;

import dev.mailcore.MailConnectionException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reusable {@link SmtpSession}s to one server. A session is handed to one caller at a time
 * ({@link #acquire()} / {@link #release}); idle sessions are reused most recent first, checked with
 * NOOP when they sat idle longer than {@link Limits#healthCheckAfter()}, closed when idle longer
 * than {@link Limits#idleTimeout()} or after {@link Limits#maxMessagesPerSession()} transactions;
 * at most {@link Limits#maxConnections()} are open at once, further callers wait.
 *
 * <p>Thread-safe. Time comes from the injected clock, so expiry is testable without sleeping;
 * {@link #evictIdle()} is meant to be called periodically by the owner's scheduler.
 */
public final class SessionPool implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SessionPool.class);

  /**
   * Pool limits.
   *
   * @param maxConnections the hard cap of open connections
   * @param maxMessagesPerSession transactions after which a session is closed
   * @param idleTimeout how long an unused session stays open
   * @param healthCheckAfter idle time after which a session is checked with NOOP before reuse
   */
  public record Limits(
      int maxConnections, int maxMessagesPerSession, Duration idleTimeout, Duration healthCheckAfter) {
    /** Validates. */
    public Limits {
      if (maxConnections < 1) {
        throw new IllegalArgumentException("maxConnections must be positive: " + maxConnections);
      }
      if (maxMessagesPerSession < 1) {
        throw new IllegalArgumentException("maxMessagesPerSession must be positive");
      }
      Objects.requireNonNull(idleTimeout, "idleTimeout");
      Objects.requireNonNull(healthCheckAfter, "healthCheckAfter");
    }
  }

  private record Idle(SmtpSession session, Instant since) {}

  private final Supplier<SmtpSession> opener;
  private final Limits limits;
  private final Clock clock;
  private final Duration healthCheckTimeout;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition available = lock.newCondition();
  private final ArrayDeque<Idle> idle = new ArrayDeque<>();
  private int open;
  private long opened;
  private boolean closed;

  /**
   * Creates a pool.
   *
   * @param opener opens a new session; may throw a {@code MailException}
   * @param healthCheckTimeout how long a NOOP may take
   */
  public SessionPool(Supplier<SmtpSession> opener, Limits limits, Clock clock, Duration healthCheckTimeout) {
    this.opener = Objects.requireNonNull(opener, "opener");
    this.limits = Objects.requireNonNull(limits, "limits");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.healthCheckTimeout = Objects.requireNonNull(healthCheckTimeout, "healthCheckTimeout");
  }

  /**
   * Returns a usable session, reusing an idle one or opening a new one; waits while the cap is
   * reached.
   *
   * @throws dev.mailcore.MailException whatever opening a session throws
   * @throws MailConnectionException (temporary) when interrupted while waiting
   * @throws IllegalStateException when the pool is closed
   */
  public SmtpSession acquire() {
    while (true) {
      Idle candidate = null;
      lock.lock();
      try {
        while (true) {
          if (closed) {
            throw new IllegalStateException("session pool is closed");
          }
          if (!idle.isEmpty()) {
            candidate = idle.pollFirst();
            break;
          }
          if (open < limits.maxConnections()) {
            open++;
            opened++;
            break;
          }
          try {
            available.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MailConnectionException("interrupted while waiting for a session", true, e);
          }
        }
      } finally {
        lock.unlock();
      }
      if (candidate == null) {
        try {
          return opener.get();
        } catch (RuntimeException e) {
          discarded();
          throw e;
        }
      }
      Duration idleFor = Duration.between(candidate.since(), clock.instant());
      SmtpSession session = candidate.session();
      if (idleFor.compareTo(limits.idleTimeout()) >= 0 || !session.isUsable()) {
        session.close();
        discarded();
        continue;
      }
      if (idleFor.compareTo(limits.healthCheckAfter()) >= 0 && !session.noop(healthCheckTimeout)) {
        discarded();
        continue;
      }
      return session;
    }
  }

  /** Gives a session back; a broken, closing or worn-out one is closed. */
  public void release(SmtpSession session) {
    Objects.requireNonNull(session, "session");
    boolean keep;
    lock.lock();
    try {
      keep = !closed && session.isUsable()
          && session.transactionCount() < limits.maxMessagesPerSession();
      if (keep) {
        idle.addFirst(new Idle(session, clock.instant()));
        available.signal();
      }
    } finally {
      lock.unlock();
    }
    if (!keep) {
      session.close();
      discarded();
    }
  }

  /** Closes sessions idle longer than the idle time-out. */
  public void evictIdle() {
    List<SmtpSession> expired = new ArrayList<>();
    lock.lock();
    try {
      Instant now = clock.instant();
      for (Iterator<Idle> it = idle.iterator(); it.hasNext(); ) {
        Idle i = it.next();
        if (Duration.between(i.since(), now).compareTo(limits.idleTimeout()) >= 0) {
          it.remove();
          expired.add(i.session());
        }
      }
    } finally {
      lock.unlock();
    }
    for (SmtpSession s : expired) {
      LOG.debug("closing idle session to {}", s.serverName());
      s.close();
      discarded();
    }
  }

  /** Returns the number of open sessions, idle or in use. */
  public int openCount() {
    lock.lock();
    try {
      return open;
    } finally {
      lock.unlock();
    }
  }

  /** Returns how many sessions were opened over the pool's life. */
  public long openedCount() {
    lock.lock();
    try {
      return opened;
    } finally {
      lock.unlock();
    }
  }

  /** Closes idle sessions with QUIT; sessions in use are closed when released. Idempotent. */
  @Override
  public void close() {
    List<Idle> toClose;
    lock.lock();
    try {
      closed = true;
      toClose = new ArrayList<>(idle);
      idle.clear();
      available.signalAll();
    } finally {
      lock.unlock();
    }
    for (Idle i : toClose) {
      i.session().close();
      discarded();
    }
  }

  private void discarded() {
    lock.lock();
    try {
      open--;
      available.signal();
    } finally {
      lock.unlock();
    }
  }
}
