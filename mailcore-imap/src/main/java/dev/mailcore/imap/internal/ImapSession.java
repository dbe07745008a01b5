package dev.mailcore.imap.internal;

import dev.mailcore.FolderInfo;
import dev.mailcore.MailException;
import dev.mailcore.StoreCapability;
import dev.mailcore.Watch;
import dev.mailcore.internal.StoreSettings;
import jakarta.mail.Folder;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.angus.mail.imap.IMAPFolder;
import org.eclipse.angus.mail.imap.IMAPStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The machinery behind one {@code ImapStore}: its Angus session, the shared store connection
 * for folder management, the folders and watches it opened. Thread-safe.
 */
public final class ImapSession {
  private static final Logger log = LoggerFactory.getLogger(ImapSession.class);
  private static final Logger transcript = LoggerFactory.getLogger("dev.mailcore.imap.transcript");

  private final ImapConfig config;
  private final StoreSettings settings;
  private final String protocol;
  private final Session session;
  private final Set<AutoCloseable> resources = ConcurrentHashMap.newKeySet();
  private IMAPStore store;
  private boolean closed;

  /** Creates the session; nothing connects yet. */
  public ImapSession(ImapConfig config) {
    this.config = config;
    this.settings = config.settings();
    this.protocol = settings.protocol("imap");
    Properties props = settings.properties(protocol);
    String p = "mail." + protocol + ".";
    // partial fetches of 64 KiB stream bodies without holding them whole
    props.setProperty(p + "fetchsize", "65536");
    props.setProperty(p + "partialfetch", "true");
    // reading content must not mark it \Seen behind the caller's back
    props.setProperty(p + "peek", "true");
    props.setProperty(p + "connectionpooltimeout", "45000");
    this.session = StoreSettings.session(props, transcript);
    // a response Angus's parser chokes on becomes a ParsingException, not an unchecked crash
    GuardedImapStore.install(session, protocol);
  }

  ImapConfig config() {
    return config;
  }

  Session session() {
    return session;
  }

  /** Returns the shared, connected store; connects (again) when needed. */
  synchronized IMAPStore store() {
    if (closed) {
      throw new IllegalStateException("store is closed");
    }
    if (store == null || !store.isConnected()) {
      store = connectNew();
    }
    return store;
  }

  /** Opens a new, separate store connection (for watches). */
  IMAPStore connectNew() {
    int port = settings.port(993, 143);
    String action =
        "log in to " + settings.host() + ":" + port + " as " + settings.credentials().username();
    try {
      IMAPStore s = (IMAPStore) session.getStore(protocol);
      settings.connect(s, port);
      log.debug("connected to {}:{} ({})", settings.host(), port, protocol);
      return s;
    } catch (MessagingException e) {
      throw ImapFailures.translate(action, e);
    }
  }

  /** Returns the capabilities. */
  public Set<StoreCapability> capabilities() {
    IMAPStore s = store();
    Set<StoreCapability> caps =
        EnumSet.of(StoreCapability.FOLDERS, StoreCapability.FLAGS, StoreCapability.SEARCH,
            StoreCapability.APPEND);
    try {
      if (config.idle() && s.hasCapability("IDLE")) {
        caps.add(StoreCapability.IDLE);
      }
      if (s.hasCapability("MOVE")) {
        caps.add(StoreCapability.MOVE);
      }
    } catch (MessagingException e) {
      throw ImapFailures.translate("read capabilities of " + settings.host(), e);
    }
    return Set.copyOf(caps);
  }

  boolean hasCapability(String name) {
    try {
      return store().hasCapability(name);
    } catch (MessagingException e) {
      throw ImapFailures.translate("read capabilities of " + settings.host(), e);
    }
  }

  /** Opens a folder read-write on a connection of its own. */
  public dev.mailcore.Folder open(String name) {
    IMAPFolder f = folder(name);
    try {
      f.open(Folder.READ_WRITE);
    } catch (MessagingException e) {
      throw ImapFailures.translate("open folder " + name + " on " + settings.host(), e);
    }
    AngusImapFolder folder = new AngusImapFolder(this, f);
    resources.add(folder);
    return folder;
  }

  IMAPFolder folder(String name) {
    try {
      return (IMAPFolder) store().getFolder(name);
    } catch (MessagingException e) {
      throw ImapFailures.translate("find folder " + name, e);
    }
  }

  void forget(AutoCloseable resource) {
    resources.remove(resource);
  }

  /** Lists the folders with their special-use roles. */
  public List<FolderInfo> folders() {
    try {
      Folder[] all = store().getDefaultFolder().list("*");
      List<FolderInfo> out = new ArrayList<>(all.length);
      for (Folder f : all) {
        String[] attributes = f instanceof IMAPFolder i ? i.getAttributes() : new String[0];
        out.add(new FolderInfo(f.getFullName(), role(f.getFullName(), attributes)));
      }
      return List.copyOf(out);
    } catch (MessagingException e) {
      throw ImapFailures.translate("list folders on " + settings.host(), e);
    }
  }

  /** Maps LIST attributes (RFC 6154 §2) to a role; INBOX by name (RFC 3501 §5.1). */
  static Optional<FolderInfo.Role> role(String name, String[] attributes) {
    if (name.equalsIgnoreCase("INBOX")) {
      return Optional.of(FolderInfo.Role.INBOX);
    }
    for (String a : attributes == null ? new String[0] : attributes) {
      FolderInfo.Role r =
          switch (a.toLowerCase(Locale.ROOT)) {
            case "\\sent" -> FolderInfo.Role.SENT;
            case "\\trash" -> FolderInfo.Role.TRASH;
            case "\\junk" -> FolderInfo.Role.JUNK;
            case "\\drafts" -> FolderInfo.Role.DRAFTS;
            case "\\archive" -> FolderInfo.Role.ARCHIVE;
            case "\\all" -> FolderInfo.Role.ALL;
            case "\\flagged" -> FolderInfo.Role.FLAGGED;
            default -> null;
          };
      if (r != null) {
        return Optional.of(r);
      }
    }
    return Optional.empty();
  }

  /** Creates a folder that holds messages and subfolders. */
  public void createFolder(String name) {
    String action = "create folder " + name + " on " + settings.host();
    try {
      IMAPFolder f = folder(name);
      if (f.exists()) {
        throw new MailException("folder exists already: " + name, false);
      }
      if (!f.create(Folder.HOLDS_MESSAGES | Folder.HOLDS_FOLDERS)) {
        throw new MailException("server refused to " + action, false);
      }
    } catch (MessagingException e) {
      throw ImapFailures.translate(action, e);
    }
  }

  /** Renames a folder. */
  public void renameFolder(String from, String to) {
    String action = "rename folder " + from + " to " + to + " on " + settings.host();
    try {
      IMAPFolder f = existing(from);
      if (!f.renameTo(folder(to))) {
        throw new MailException("server refused to " + action, false);
      }
    } catch (MessagingException e) {
      throw ImapFailures.translate(action, e);
    }
  }

  /** Deletes a folder with its messages. */
  public void deleteFolder(String name) {
    String action = "delete folder " + name + " on " + settings.host();
    try {
      if (!existing(name).delete(true)) {
        throw new MailException("server refused to " + action, false);
      }
    } catch (MessagingException e) {
      throw ImapFailures.translate(action, e);
    }
  }

  IMAPFolder existing(String name) throws MessagingException {
    IMAPFolder f = folder(name);
    if (!f.exists()) {
      throw new MailException("no such folder: " + name, false);
    }
    return f;
  }

  /** Starts a watch. */
  public Watch watch(String folderName, Watch.Listener listener) {
    IdleWatcher w = new IdleWatcher(this, folderName, listener);
    resources.add(w);
    w.start();
    return w;
  }

  /** Closes everything. */
  public void close() {
    IMAPStore s;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      s = store;
      store = null;
    }
    for (AutoCloseable r : List.copyOf(resources)) {
      try {
        r.close();
      } catch (Exception e) {
        log.debug("closing {} failed; the store is closing anyway", r, e);
      }
    }
    resources.clear();
    if (s != null) {
      try {
        s.close();
      } catch (MessagingException e) {
        // LOGOUT failed: the socket is closed either way and nothing is left to release
        log.debug("LOGOUT from {} failed", settings.host(), e);
      }
    }
  }

  synchronized boolean isClosed() {
    return closed;
  }

  String host() {
    return settings.host();
  }

  @Override
  public String toString() {
    return protocol + "://" + settings.credentials().username() + "@" + settings.host() + ":"
        + settings.port(993, 143);
  }

}
