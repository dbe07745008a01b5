package dev.mailcore.pop3.internal;

import dev.mailcore.MailConnectionException;
import dev.mailcore.MailException;
import dev.mailcore.StoredMessage;
import dev.mailcore.Watch;
import dev.mailcore.internal.MessagingFailures;
import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.angus.mail.pop3.POP3Folder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Polls INBOX on a thread of its own: each poll logs in, reads UIDL, reports ids not seen
 * before (with their headers), and quits without deleting. A failed poll is a lost connection;
 * the next good poll is the reconnect. Thread-safe.
 */
final class PollingWatcher implements Watch {
  private static final Logger log = LoggerFactory.getLogger(PollingWatcher.class);
  private static final AtomicInteger COUNT = new AtomicInteger();

  private final Pop3Session session;
  private final Listener listener;
  private final ScheduledExecutorService thread;
  private final Set<String> known = new HashSet<>();
  private volatile boolean active = true;
  private boolean lost;

  PollingWatcher(Pop3Session session, Listener listener) {
    this.session = session;
    this.listener = listener;
    int n = COUNT.incrementAndGet();
    this.thread =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "mailcore-pop3-watch-" + n);
              t.setDaemon(true);
              return t;
            });
  }

  void start() {
    try {
      poll(false);
    } catch (MailException e) {
      active = false;
      thread.shutdownNow();
      throw e;
    }
    long every = session.config().pollInterval().toMillis();
    thread.scheduleWithFixedDelay(this::tick, every, every, TimeUnit.MILLISECONDS);
  }

  private void tick() {
    if (!active) {
      return;
    }
    try {
      poll(true);
      if (lost) {
        lost = false;
        log.info("POP3 watch of {} reconnected", session.host());
        listener.reconnected();
      }
    } catch (MailException e) {
      if (!lost) {
        lost = true;
        log.info("POP3 watch of {} lost its connection: {}", session.host(), e.getMessage());
        listener.connectionLost(e);
      } else {
        log.debug("POP3 watch of {} still cannot connect", session.host(), e);
      }
    } catch (VirtualMachineError e) {
      close();
      throw e;
    } catch (RuntimeException | Error e) {
      // a listener must not throw (Watch.Listener); one that does, even with an Error such as a
      // failed assertion, must not cancel the polls (a scheduled task that throws is not run
      // again) while the watch still looks active: the next poll goes on
      log.warn("POP3 watch listener threw; ignoring and polling on", e);
    }
  }

  private void poll(boolean report) {
    POP3Folder folder = session.openInbox(Folder.READ_ONLY);
    try {
      List<Message> fresh = new ArrayList<>();
      Set<String> now = new HashSet<>();
      MaildropIndex index = MaildropIndex.read(folder, session.host());
      for (Message m : folder.getMessages()) {
        String uid = index.id(m);
        now.add(uid);
        if (!known.contains(uid)) {
          fresh.add(m);
        }
      }
      known.clear();
      known.addAll(now);
      if (report && !fresh.isEmpty()) {
        List<StoredMessage> news =
            Pop3Messages.loadAll(
                session.session(),
                fresh,
                session.config().fetchBatchSize(),
                index,
                session.config().prefetchBodies());
        if (active) { // closed meanwhile: close() has returned, so no more calls
          listener.newMail(news);
        }
      }
    } catch (MessagingException e) {
      throw MessagingFailures.translate("poll INBOX on " + session.host(), e);
    } catch (IllegalStateException e) {
      // Angus closed the folder after a read failure
      throw new MailConnectionException("poll of " + session.host() + " lost its connection", true, e);
    } finally {
      try {
        folder.close(false);
      } catch (MessagingException e) {
        // a read-only poll marked nothing; a failed QUIT loses nothing
        log.debug("QUIT after a POP3 poll failed", e);
      }
      Pop3Session.closeQuietly(folder.getStore());
    }
  }

  @Override
  public boolean isActive() {
    return active;
  }

  @Override
  public void close() {
    active = false;
    thread.shutdownNow();
    session.forget(this);
  }

  @Override
  public String toString() {
    return "PollingWatcher{" + session.host() + "}";
  }
}
