package dev.mailcore.imap.internal;

import dev.mailcore.MailConnectionException;
import dev.mailcore.MailException;
import dev.mailcore.StoredMessage;
import dev.mailcore.Watch;
import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.UIDFolder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.angus.mail.imap.IMAPFolder;
import org.eclipse.angus.mail.imap.IMAPStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches one folder on a store connection of its own (RFC 2177 IDLE, or NOOP polling).
 *
 * <p>Two threads: the watch thread blocks in IDLE and reports new mail; the keep-alive thread
 * interrupts IDLE with a NOOP every {@link ImapConfig#keepAlive()}, which re-arms it before the
 * 29-minute limit and, on a dead connection, fails within the read time-out. Either failure
 * closes the connection; the watch thread then reconnects with doubling back-off. New mail is
 * everything above the highest UID seen, so what arrives during an outage is reported after the
 * reconnect. Thread-safe.
 */
final class IdleWatcher implements Watch {
  private static final Logger log = LoggerFactory.getLogger(IdleWatcher.class);
  private static final AtomicInteger COUNT = new AtomicInteger();
  private static final Duration SETTLE = Duration.ofMillis(250);

  private final ImapSession session;
  private final String folderName;
  private final Listener listener;
  private final ImapConfig config;
  private final ScheduledExecutorService threads;
  private volatile boolean active = true;
  private volatile IMAPStore store;
  private volatile IMAPFolder folder;
  private volatile ScheduledFuture<?> keepAlive;
  private long uidValidity;
  private long lastUid;
  private Duration delay;
  private boolean useIdle;

  IdleWatcher(ImapSession session, String folderName, Listener listener) {
    this.session = session;
    this.folderName = folderName;
    this.listener = listener;
    this.config = session.config();
    this.delay = config.reconnectDelay();
    int n = COUNT.incrementAndGet();
    this.threads =
        Executors.newScheduledThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "mailcore-imap-watch-" + n + "-" + folderName);
              t.setDaemon(true);
              return t;
            });
  }

  /** Connects (failing the caller when the folder cannot be opened) and starts the threads. */
  void start() {
    try {
      connect();
      long next = folder.getUIDNext();
      lastUid = next > 0 ? next - 1 : highestUid();
    } catch (MessagingException e) {
      disconnect();
      threads.shutdownNow();
      active = false;
      throw ImapFailures.translate("watch " + folderName + " on " + session.host(), e);
    } catch (RuntimeException e) {
      threads.shutdownNow();
      active = false;
      throw e;
    }
    threads.execute(this::run);
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
      // the old UIDs mean nothing now (RFC 3501 §2.3.1.1): start over from the present
      log.info("UIDVALIDITY of {} changed; watch restarts from the newest message", folderName);
      long next = f.getUIDNext();
      lastUid = next > 0 ? next - 1 : highestUid();
    }
    uidValidity = validity;
    Duration every = useIdle ? config.keepAlive() : config.pollInterval();
    keepAlive =
        threads.scheduleWithFixedDelay(
            this::noop, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
  }

  private long highestUid() throws MessagingException {
    int count = folder.getMessageCount();
    return count == 0 ? 0 : folder.getUID(folder.getMessage(count));
  }

  /** The watch thread: IDLE, report, repeat; reconnect after failures. */
  private void run() {
    boolean settle = true;
    while (active) {
      try {
        settle |= report();
        if (useIdle) {
          if (settle) {
            // mail that arrives between the last FETCH and the server's acceptance of IDLE is
            // not announced by every server (GreenMail keeps it until the next command): one
            // NOOP shortly after IDLE starts picks it up
            threads.schedule(this::noop, SETTLE.toMillis(), TimeUnit.MILLISECONDS);
            settle = false;
          }
          folder.idle(true); // returns on the first untagged response or the NOOP's DONE
        } else {
          synchronized (this) {
            wait(config.pollInterval().toMillis()); // woken by the poll's NOOP
          }
        }
        if (!folder.isOpen()) {
          throw new jakarta.mail.FolderClosedException(folder, "connection closed while idle");
        }
      } catch (MessagingException | IllegalStateException e) {
        if (!active) {
          return;
        }
        MailException cause =
            e instanceof MessagingException m
                ? ImapFailures.translate("watch " + folderName + " on " + session.host(), m)
                : new MailConnectionException("watch " + folderName + " lost: " + e.getMessage(), true, e);
        lost(cause);
        if (!reconnect()) {
          return;
        }
        settle = true;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
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
    if (!news.isEmpty()) {
      try {
        listener.newMail(news);
      } catch (RuntimeException e) {
        // a listener must not throw (Watch.Listener); the watch goes on for the next mail
        log.warn("watch listener for {} threw; ignoring and watching on", folderName, e);
      }
    }
    return true;
  }

  /** The keep-alive thread: a NOOP ends IDLE (DONE) and checks the connection. */
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
        synchronized (this) {
          notifyAll();
        }
      }
    } catch (MessagingException e) {
      // the watch thread sees the same broken connection and reconnects; closing here makes
      // sure it does not wait in IDLE on a connection that no longer answers
      log.debug("keep-alive NOOP on {} failed; closing the connection", folderName, e);
      disconnect();
      synchronized (this) {
        notifyAll();
      }
    }
  }

  private void lost(MailException cause) {
    log.info("watch of {} lost its connection: {}", folderName, cause.getMessage());
    disconnect();
    try {
      listener.connectionLost(cause);
    } catch (RuntimeException e) {
      log.warn("watch listener for {} threw in connectionLost; ignoring", folderName, e);
    }
  }

  /** Reconnects with doubling back-off; false when the watch was closed meanwhile. */
  private boolean reconnect() {
    while (active) {
      try {
        synchronized (this) {
          wait(delay.toMillis());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
      if (!active) {
        return false;
      }
      try {
        connect();
        delay = config.reconnectDelay();
        log.info("watch of {} reconnected", folderName);
        try {
          listener.reconnected();
        } catch (RuntimeException e) {
          log.warn("watch listener for {} threw in reconnected; ignoring", folderName, e);
        }
        return true;
      } catch (MessagingException | MailException e) {
        log.debug("watch of {} could not reconnect; next try in {}", folderName, delay, e);
        disconnect();
        Duration doubled = delay.multipliedBy(2);
        delay = doubled.compareTo(config.maxReconnectDelay()) > 0 ? config.maxReconnectDelay() : doubled;
      }
    }
    return false;
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
    active = false;
    synchronized (this) {
      notifyAll();
    }
    disconnect();
    threads.shutdownNow();
    session.forget(this);
  }

  @Override
  public String toString() {
    return "IdleWatcher{" + folderName + "}";
  }
}
