package dev.mailcore.pop3.internal;

import dev.mailcore.FolderInfo;
import dev.mailcore.MailException;
import dev.mailcore.MailStore;
import dev.mailcore.StoreCapability;
import dev.mailcore.Watch;
import dev.mailcore.internal.MessagingFailures;
import dev.mailcore.internal.StoreSettings;
import jakarta.mail.Folder;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.angus.mail.pop3.POP3Folder;
import org.eclipse.angus.mail.pop3.POP3Store;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The machinery behind one {@code Pop3Store}: its Angus session and the inboxes and watches it
 * opened, each on a connection of its own. Thread-safe.
 */
public final class Pop3Session {
  private static final Logger log = LoggerFactory.getLogger(Pop3Session.class);
  private static final Logger transcript = LoggerFactory.getLogger("dev.mailcore.pop3.transcript");

  private final Pop3Config config;
  private final StoreSettings settings;
  private final String protocol;
  private final Session session;
  private final Set<AutoCloseable> resources = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  /** Creates the session; nothing connects yet. */
  public Pop3Session(Pop3Config config) {
    this.config = config;
    this.settings = config.settings();
    this.protocol = settings.protocol("pop3");
    Properties props = settings.properties(protocol);
    String p = "mail." + protocol + ".";
    // RETR is spooled to a temporary file, deleted at close, instead of the heap
    props.setProperty(p + "filecache.enable", "true");
    // QUIT must keep the DELE marks; a folder lost to the garbage collector must not QUIT
    props.setProperty(p + "rsetbeforequit", "false");
    props.setProperty(p + "finalizecleanclose", "false");
    this.session = StoreSettings.session(props, transcript);
  }

  Session session() {
    return session;
  }

  Pop3Config config() {
    return config;
  }

  /** Returns an UnsupportedOperationException naming the missing capability. */
  public static UnsupportedOperationException unsupported(StoreCapability capability, String call) {
    return new UnsupportedOperationException(
        call + " needs " + capability + ", which POP3 does not have");
  }

  /** Opens INBOX on a new connection. */
  public dev.mailcore.Folder open(String name) {
    checkInbox(name);
    Pop3Inbox inbox = new Pop3Inbox(this, openInbox(Folder.READ_WRITE));
    resources.add(inbox);
    return inbox;
  }

  private static void checkInbox(String name) {
    if (!MailStore.INBOX.equalsIgnoreCase(name)) {
      throw unsupported(StoreCapability.FOLDERS, "open(\"" + name + "\")");
    }
  }

  /** Connects a new store and opens its INBOX. */
  POP3Folder openInbox(int mode) {
    if (closed) {
      throw new IllegalStateException("store is closed");
    }
    int port = settings.port(995, 110);
    String action =
        "log in to " + settings.host() + ":" + port + " as " + settings.credentials().username();
    POP3Store store = null;
    try {
      store = (POP3Store) session.getStore(protocol);
      settings.connect(store, port);
      action = "open INBOX on " + settings.host();
      POP3Folder f = (POP3Folder) store.getFolder(MailStore.INBOX);
      f.open(mode);
      log.debug("connected to {}:{} ({})", settings.host(), port, protocol);
      return f;
    } catch (MessagingException e) {
      closeQuietly(store);
      throw MessagingFailures.translate(action, e);
    }
  }

  static void closeQuietly(jakarta.mail.Service service) {
    if (service == null) {
      return;
    }
    try {
      service.close();
    } catch (MessagingException e) {
      // nothing was marked on this connection yet; closing the socket is all that is left
      log.debug("closing a failed POP3 connection failed", e);
    }
  }

  void forget(AutoCloseable resource) {
    resources.remove(resource);
  }

  /** Returns INBOX. */
  public List<FolderInfo> folders() {
    return List.of(new FolderInfo(MailStore.INBOX, Optional.of(FolderInfo.Role.INBOX)));
  }

  /** Starts a polling watch. */
  public Watch watch(String folderName, Watch.Listener listener) {
    checkInbox(folderName);
    PollingWatcher w = new PollingWatcher(this, listener);
    resources.add(w);
    try {
      w.start();
    } catch (MailException e) {
      resources.remove(w);
      throw e;
    }
    return w;
  }

  String host() {
    return settings.host();
  }

  /** Closes every inbox (applying their deletions) and watch. */
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (AutoCloseable r : List.copyOf(resources)) {
      try {
        r.close();
      } catch (Exception e) {
        log.debug("closing {} failed; the store is closing anyway", r, e);
      }
    }
    resources.clear();
  }

  @Override
  public String toString() {
    return protocol + "://" + settings.credentials().username() + "@" + settings.host() + ":"
        + settings.port(995, 110);
  }
}
