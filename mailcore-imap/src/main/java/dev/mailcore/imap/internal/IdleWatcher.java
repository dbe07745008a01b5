package dev.mailcore.imap.internal;

import dev.mailcore.MailConnectionException;
import dev.mailcore.MailException;
import dev.mailcore.StoredMessage;
import dev.mailcore.Watch;
import jakarta.mail.Folder;
import jakarta.mail.FolderNotFoundException;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.UIDFolder;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.angus.mail.imap.IMAPFolder;
import org.eclipse.angus.mail.imap.IMAPStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches one folder on a store connection of its own (RFC 2177 IDLE, or NOOP polling).
 *
 * <p>The watch thread blocks in IDLE and reports new mail. Everything timed runs on the
 * scheduler (the store's, or a thread of the watch's own): the keep-alive NOOP every {@link
 * ImapConfig#keepAlive()}, which ends IDLE (re-armed before the 29-minute limit) and, on a dead
 * connection, fails within the read time-out; the poll without IDLE; and the reconnect attempts
 * after a drop, with doubling back-off. A loss ends the watch thread's loop; a successful attempt
 * starts it again. New mail is everything above the highest UID seen, so what arrives during an
 * outage is reported after the reconnect, unless the folder's UIDVALIDITY changed meanwhile: then
 * the watch goes on from the folder's newest message and tells the listener once ({@link
 * Listener#reset}). An attempt that finds the folder gone (deleted or
 * renamed meanwhile) ends the watch and tells the listener ({@link Listener#stopped}): no later
 * attempt could succeed, and retrying for ever would hide the loss. Thread-safe.
 */
final class IdleWatcher implements Watch {
  private static final Logger log = LoggerFactory.getLogger(IdleWatcher.class);
  private static final AtomicInteger COUNT = new AtomicInteger();
  private static final Duration SETTLE = Duration.ofMillis(250);

  private final ImapSession session;
  private final String folderName;
  private final Listener listener;
  private final ImapConfig config;
  private final Clock clock;
  private final ExecutorService worker;
  private final ScheduledExecutorService scheduler;
  private final boolean ownScheduler;
  private volatile boolean active = true;
  private volatile IMAPStore store;
  private volatile IMAPFolder folder;
  private volatile ScheduledFuture<?> keepAlive;
  private volatile ScheduledFuture<?> attempt;
  private long uidValidity;
  private long lastUid;
  // a UIDVALIDITY change seen by a reconnect and not yet told to the listener; set on the
  // scheduler, taken by the watch thread (worker.execute orders the two)
  private volatile boolean resetPending;
  private boolean useIdle;
  // back-off state, guarded by this
  private Duration delay;
  private Instant connectedAt;
  // polls signalled by the scheduler and not yet taken by the watch thread, guarded by this
  private int polls;

  IdleWatcher(ImapSession session, String folderName, Listener listener) {
    this.session = session;
    this.folderName = folderName;
    this.listener = listener;
    this.config = session.config();
    this.clock = config.clock();
    this.delay = config.reconnectDelay();
    int n = COUNT.incrementAndGet();
    this.worker = Executors.newSingleThreadExecutor(daemon("mailcore-imap-watch-" + n + "-" + folderName));
    this.ownScheduler = config.scheduler() == null;
    this.scheduler =
        ownScheduler
            ? Executors.newSingleThreadScheduledExecutor(daemon("mailcore-imap-watch-timer-" + n))
            : config.scheduler();
  }

  private static ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  /** Connects (failing the caller when the folder cannot be opened) and starts the threads. */
  void start() {
    try {
      connect();
      long next = folder.getUIDNext();
      lastUid = next > 0 ? next - 1 : highestUid();
    } catch (MessagingException e) {
      disconnect();
      stop();
      throw ImapFailures.translate("watch " + folderName + " on " + session.host(), e);
    } catch (RuntimeException e) {
      disconnect();
      stop();
      throw e;
    }
    worker.execute(() -> run(false));
  }

  private void connect() throws MessagingException {
    IMAPStore s = session.connectNew();
    store = s;
    IMAPFolder f = (IMAPFolder) s.getFolder(folderName);
    f.open(Folder.READ_ONLY);
    folder = f;
    useIdle = config.idle() && s.hasCapability("IDLE");
    long validity = f.getUIDValidity();
    if (uidValidity != 0 && validity != uidValidity) {
      // the old UIDs mean nothing now (RFC 3501 §2.3.1.1): start over from the present and
      // tell the listener (Listener#reset), which cannot otherwise know that it must resync
      log.warn(
          "UIDVALIDITY of {} changed from {} to {}; watch restarts from the newest message and tells"
              + " its listener to resync",
          folderName, uidValidity, validity);
      long next = f.getUIDNext();
      lastUid = next > 0 ? next - 1 : highestUid();
      resetPending = true; // stays set until told, should this attempt fail after here
    }
    uidValidity = validity;
    synchronized (this) {
      connectedAt = clock.instant();
    }
    Duration every = useIdle ? config.keepAlive() : config.pollInterval();
    keepAlive =
        scheduler.scheduleWithFixedDelay(
            this::noop, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
  }

  private long highestUid() throws MessagingException {
    int count = folder.getMessageCount();
    return count == 0 ? 0 : folder.getUID(folder.getMessage(count));
  }

  /** The watch thread: IDLE, report, repeat, until the connection is lost or the watch closed. */
  private void run(boolean reconnected) {
    if (reconnected) {
      tell("reconnected", listener::reconnected);
    }
    if (resetPending && active) {
      resetPending = false;
      tell("reset", listener::reset);
    }
    boolean settle = true;
    while (active) {
      try {
        settle |= report();
        if (useIdle) {
          if (settle) {
            // mail that arrives between the last FETCH and the server's acceptance of IDLE is
            // not announced by every server (GreenMail keeps it until the next command): one
            // NOOP shortly after IDLE starts picks it up
            scheduler.schedule(this::noop, SETTLE.toMillis(), TimeUnit.MILLISECONDS);
            settle = false;
          }
          folder.idle(true); // returns on the first untagged response or the NOOP's DONE
        } else {
          awaitPoll();
        }
        if (!folder.isOpen()) {
          throw new jakarta.mail.FolderClosedException(folder, "connection closed while idle");
        }
      } catch (MessagingException | IllegalStateException | RejectedExecutionException e) {
        if (!active) {
          return;
        }
        MailException cause =
            e instanceof MessagingException m
                ? ImapFailures.translate("watch " + folderName + " on " + session.host(), m)
                : new MailConnectionException("watch " + folderName + " lost: " + e.getMessage(), true, e);
        lost(cause);
        return;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** Waits until the scheduler's poll NOOP (or a failure, or close) wakes the watch thread. */
  private synchronized void awaitPoll() throws InterruptedException {
    while (polls == 0 && active && folder.isOpen()) {
      wait();
    }
    polls = 0;
  }

  private synchronized void wake(boolean poll) {
    if (poll) {
      polls++;
    }
    notifyAll();
  }

  /** Reports messages above the last seen UID; true when there were any. */
  private boolean report() throws MessagingException {
    Message[] candidates = folder.getMessagesByUID(lastUid + 1, UIDFolder.MAXUID);
    List<Message> fresh = new ArrayList<>();
    for (Message m : candidates) {
      if (m != null && folder.getUID(m) > lastUid) {
        fresh.add(m);
      }
    }
    if (fresh.isEmpty()) {
      return false;
    }
    List<StoredMessage> news =
        ImapMessages.loadAll(folder, fresh.toArray(Message[]::new), config.fetchBatchSize(), config.prefetchBodies());
    for (Message m : fresh) {
      lastUid = Math.max(lastUid, folder.getUID(m));
    }
    if (!news.isEmpty() && active) {
      tell("newMail", () -> listener.newMail(news));
    }
    return true;
  }

  /** On the scheduler: a NOOP ends IDLE (DONE), so it is re-armed, and checks the connection. */
  private void noop() {
    IMAPFolder f = folder;
    if (!active || f == null || !f.isOpen()) {
      return;
    }
    try {
      f.doCommand(p -> {
        p.simpleCommand("NOOP", null);
        return null;
      });
      if (!useIdle) {
        wake(true);
      }
    } catch (MessagingException e) {
      // the watch thread sees the same broken connection and reconnects; closing here makes
      // sure it does not wait in IDLE on a connection that no longer answers
      log.debug("keep-alive NOOP on {} failed; closing the connection", folderName, e);
      disconnect();
      wake(false);
    }
  }

  /**
   * Disconnects, schedules the first reconnect attempt, then tells the listener. The back-off
   * starts over only when the lost connection had stayed up for the maximum delay.
   */
  private void lost(MailException cause) {
    log.info("watch of {} lost its connection: {}", folderName, cause.getMessage());
    disconnect();
    Duration wait;
    synchronized (this) {
      if (connectedAt != null
          && !clock.instant().isBefore(connectedAt.plus(config.maxReconnectDelay()))) {
        delay = config.reconnectDelay();
      }
      wait = delay;
    }
    scheduleAttempt(wait);
    tell("connectionLost", () -> listener.connectionLost(cause));
  }

  private void scheduleAttempt(Duration wait) {
    if (!active) {
      return;
    }
    try {
      attempt = scheduler.schedule(this::reconnect, wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // the caller's scheduler was shut down: nothing can run the watch any more
      log.warn("watch of {} stops: its scheduler refused the reconnect attempt", folderName, e);
      stop();
    }
  }

  /** One reconnect attempt, on the scheduler; on success the watch thread runs again. */
  private void reconnect() {
    if (!active) {
      return;
    }
    Duration next;
    try {
      connect();
      if (!active) { // closed while connecting: close() may have missed this connection
        disconnect();
        return;
      }
      synchronized (this) {
        delay = doubled(delay); // what the next drop waits, unless this connection lasts
      }
      log.info("watch of {} reconnected", folderName);
      worker.execute(() -> run(true));
      return;
    } catch (MessagingException | MailException | RejectedExecutionException e) {
      disconnect();
      if (e instanceof FolderNotFoundException gone) {
        giveUp(ImapFailures.translate("watch " + folderName + " on " + session.host(), gone));
        return;
      }
      synchronized (this) {
        delay = doubled(delay);
        next = delay;
      }
      log.debug("watch of {} could not reconnect; next try in {}", folderName, next, e);
    }
    scheduleAttempt(next);
  }

  /** Ends the watch for good and tells the listener why. */
  private void giveUp(MailException cause) {
    log.warn("watch of {} stops: {}", folderName, cause.getMessage());
    active = false;
    session.forget(this);
    tell("stopped", () -> listener.stopped(cause));
    stop();
  }

  /**
   * Calls the listener. A listener must not throw (Watch.Listener), but one that does, even with
   * an Error such as a failed assertion, must not end the watch's thread while the watch still
   * looks active: it is logged and the watch goes on. Only a VirtualMachineError ends the watch.
   */
  private void tell(String event, Runnable call) {
    try {
      call.run();
    } catch (VirtualMachineError e) {
      stop();
      throw e;
    } catch (RuntimeException | Error e) {
      log.warn("watch listener for {} threw in {}; ignoring and watching on", folderName, event, e);
    }
  }

  private Duration doubled(Duration d) {
    Duration twice = d.multipliedBy(2);
    return twice.compareTo(config.maxReconnectDelay()) > 0 ? config.maxReconnectDelay() : twice;
  }

  private void disconnect() {
    ScheduledFuture<?> k = keepAlive;
    if (k != null) {
      k.cancel(false);
    }
    IMAPStore s = store;
    if (s != null) {
      try {
        s.close(); // closes the folder's connection too
      } catch (MessagingException e) {
        // LOGOUT on a broken connection fails; the sockets are closed regardless
        log.debug("closing watch connection of {} failed", folderName, e);
      }
    }
  }

  @Override
  public boolean isActive() {
    return active;
  }

  @Override
  public void close() {
    if (!active) {
      return;
    }
    stop();
    disconnect();
    session.forget(this);
  }

  private void stop() {
    active = false;
    ScheduledFuture<?> a = attempt;
    if (a != null) {
      a.cancel(false);
    }
    wake(false);
    worker.shutdownNow();
    if (ownScheduler) {
      scheduler.shutdownNow();
    }
  }

  @Override
  public String toString() {
    return "IdleWatcher{" + folderName + "}";
  }
}
