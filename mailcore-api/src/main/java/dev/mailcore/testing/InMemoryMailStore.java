package dev.mailcore.testing;

import dev.mailcore.Folder;
import dev.mailcore.FolderInfo;
import dev.mailcore.MailException;
import dev.mailcore.MailStore;
import dev.mailcore.Message;
import dev.mailcore.StoreCapability;
import dev.mailcore.Watch;
import java.time.Clock;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A {@link MailStore} held in memory, for tests of code that reads mail: deliver messages with
 * {@link #deliver(Message)}, then let the code under test list, sync, flag, search, move and watch
 * them as it would on an IMAP server.
 *
 * <p>Thread-safe: the test thread may deliver while the code under test reads from other threads.
 * Each {@link Folder} it opens belongs to one thread, as the interface says. {@link #watch}
 * listeners are called on a thread of the watch's own.
 *
 * <p>It behaves like an IMAP server with UIDPLUS: message ids are {@code <uidvalidity>:<uid>},
 * {@link dev.mailcore.SyncState}s are {@code mem:<uidvalidity>:<next uid>}, deletions take effect
 * at once, and {@link #resetUidValidity} simulates a server that renumbered a folder. The
 * capability set is configurable, so {@code builder().capabilities(Set.of()).build()} emulates a
 * POP3 mailbox: INBOX only, no flags, no search, no append; calls that need a missing capability
 * throw {@link UnsupportedOperationException} naming it.
 *
 * <p>A delivered {@link Message} is kept as it is and rendered ({@link Message#writeTo}) once, the
 * first time it is listed or fetched; the listed headers and size come from that rendering, as a
 * server's would.
 *
 * <pre>{@code
 * InMemoryMailStore store = InMemoryMailStore.builder().build();
 * store.deliver(Message.builder().from("ana@shop.example").to("bob@example.org")
 *     .subject("Hi").text("Hello").build());
 * new InboxPoller(store).run();   // the code under test
 * }</pre>
 *
 * @since 0.1
 */
public final class InMemoryMailStore implements MailStore {
  private final MemoryMailbox mailbox;
  private final Set<StoreCapability> capabilities;
  private final List<MemoryWatch> watches = new CopyOnWriteArrayList<>();
  private volatile boolean closed;

  private InMemoryMailStore(Builder b) {
    this.capabilities = Set.copyOf(b.capabilities);
    this.mailbox =
        new MemoryMailbox(b.clock, capabilities.contains(StoreCapability.FLAGS), b.roles);
  }

  /** Returns a builder for a store with every capability and only INBOX. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Delivers a message into INBOX, as a server's local delivery would, and tells the watches of
   * INBOX.
   *
   * @throws IllegalStateException when the store is closed
   */
  public void deliver(Message message) {
    deliver(INBOX, message);
  }

  /**
   * Delivers a message into {@code folder} and tells its watches.
   *
   * @throws IllegalArgumentException when the folder does not exist
   * @throws IllegalStateException when the store is closed
   */
  public void deliver(String folder, Message message) {
    Objects.requireNonNull(folder, "folder");
    deliver(folder, MessageSource.of(Objects.requireNonNull(message, "message")));
  }

  /**
   * Delivers a message given as RFC 5322 bytes, exactly as they are (for tests of odd or broken
   * mail), into {@code folder}.
   *
   * @throws IllegalArgumentException when the folder does not exist
   * @throws IllegalStateException when the store is closed
   */
  public void deliver(String folder, byte[] rfc5322) {
    Objects.requireNonNull(folder, "folder");
    deliver(folder, MessageSource.of(Objects.requireNonNull(rfc5322, "rfc5322")));
  }

  private void deliver(String folder, MessageSource source) {
    checkOpen();
    String name = mailbox.canonicalName(folder);
    List<MemoryMailbox.Entry> added;
    try {
      added = mailbox.add(name, List.of(source), Set.of());
    } catch (MailException e) {
      throw new IllegalArgumentException(
          "cannot deliver into '" + folder + "': " + e.getMessage(), e);
    }
    announce(name, added);
  }

  /**
   * Simulates a server that renumbered {@code folder}: a new UIDVALIDITY, new ids for every
   * message. Saved sync states of the folder then yield a {@link dev.mailcore.SyncResult#reset()}
   * result with every message.
   *
   * @throws IllegalArgumentException when the folder does not exist
   */
  public void resetUidValidity(String folder) {
    Objects.requireNonNull(folder, "folder");
    try {
      mailbox.resetUidValidity(folder);
    } catch (MailException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  @Override
  public Set<StoreCapability> capabilities() {
    return capabilities;
  }

  /**
   * {@inheritDoc}
   *
   * @throws IllegalStateException when the store is closed
   */
  @Override
  public Folder open(String folderName) {
    Objects.requireNonNull(folderName, "folderName");
    checkOpen();
    if (!MemoryMailbox.isInbox(folderName)) {
      require(StoreCapability.FOLDERS, "opening folder '" + folderName + "'");
    }
    return new MemoryFolder(this, mailbox, mailbox.canonicalName(folderName));
  }

  @Override
  public List<FolderInfo> folders() {
    checkOpen();
    return mailbox.folders();
  }

  @Override
  public void createFolder(String name) {
    Objects.requireNonNull(name, "name");
    require(StoreCapability.FOLDERS, "createFolder");
    checkOpen();
    mailbox.create(name, Optional.empty());
  }

  @Override
  public void renameFolder(String from, String to) {
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    require(StoreCapability.FOLDERS, "renameFolder");
    checkOpen();
    mailbox.rename(from, to);
  }

  @Override
  public void deleteFolder(String name) {
    Objects.requireNonNull(name, "name");
    require(StoreCapability.FOLDERS, "deleteFolder");
    checkOpen();
    mailbox.delete(name);
  }

  /**
   * {@inheritDoc}
   *
   * <p>The in-memory watch is a push whatever the capabilities: each delivery, append, copy or move
   * into the folder after this call returns is reported once.
   *
   * @throws IllegalStateException when the store is closed
   */
  @Override
  public Watch watch(String folderName, Watch.Listener listener) {
    Objects.requireNonNull(folderName, "folderName");
    Objects.requireNonNull(listener, "listener");
    checkOpen();
    if (!MemoryMailbox.isInbox(folderName)) {
      require(StoreCapability.FOLDERS, "watching folder '" + folderName + "'");
    }
    String name = mailbox.canonicalName(folderName);
    mailbox.requireExists(name);
    MemoryWatch w = new MemoryWatch(name, listener, watches::remove);
    watches.add(w);
    return w;
  }

  /** Stops every watch and refuses further use of the store and its folders. Idempotent. */
  @Override
  public void close() {
    closed = true;
    for (MemoryWatch w : watches) {
      w.close();
    }
  }

  @Override
  public String toString() {
    return "InMemoryMailStore{" + capabilities + ", folders=" + mailbox.folders().size() + "}";
  }

  // ---- for MemoryFolder ----------------------------------------------------------------------

  void require(StoreCapability capability, String operation) {
    if (!capabilities.contains(capability)) {
      throw new UnsupportedOperationException(
          operation + " needs the store capability " + capability + ", which this store lacks");
    }
  }

  void checkOpen() {
    if (closed) {
      throw new IllegalStateException("the store is closed");
    }
  }

  void announce(String folder, List<MemoryMailbox.Entry> added) {
    if (added.isEmpty()) {
      return;
    }
    for (MemoryWatch w : watches) {
      if (w.folder().equals(folder)) {
        w.report(() -> added.stream().map(e -> e.toStored()).toList());
      }
    }
  }

  /**
   * Builds an {@link InMemoryMailStore}. Not thread-safe.
   *
   * @since 0.1
   */
  public static final class Builder {
    private Set<StoreCapability> capabilities = EnumSet.allOf(StoreCapability.class);
    private Clock clock = Clock.systemUTC();
    private final Map<String, FolderInfo.Role> roles = new LinkedHashMap<>();

    private Builder() {}

    /**
     * Sets what the store supports (default: all). An empty set emulates POP3.
     *
     * @throws IllegalArgumentException when MOVE is given without FOLDERS
     */
    public Builder capabilities(Set<StoreCapability> value) {
      Objects.requireNonNull(value, "value");
      EnumSet<StoreCapability> copy = EnumSet.noneOf(StoreCapability.class);
      copy.addAll(value);
      if (copy.contains(StoreCapability.MOVE) && !copy.contains(StoreCapability.FOLDERS)) {
        throw new IllegalArgumentException("MOVE needs FOLDERS");
      }
      this.capabilities = copy;
      return this;
    }

    /**
     * Sets what the store supports (default: all).
     *
     * @throws IllegalArgumentException when MOVE is given without FOLDERS
     */
    public Builder capabilities(StoreCapability... value) {
      return capabilities(Set.copyOf(Arrays.asList(value)));
    }

    /** Sets the clock that stamps received dates (default: the system clock in UTC). */
    public Builder clock(Clock value) {
      this.clock = Objects.requireNonNull(value, "value");
      return this;
    }

    /**
     * Adds a folder with a special-use role (RFC 6154), such as {@code folder("Sent", Role.SENT)};
     * it needs {@link StoreCapability#FOLDERS}.
     *
     * @throws IllegalArgumentException when the name is INBOX or already added
     */
    public Builder folder(String name, FolderInfo.Role role) {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(role, "role");
      if (MemoryMailbox.isInbox(name) || roles.containsKey(name)) {
        throw new IllegalArgumentException("folder added twice: " + name);
      }
      roles.put(name, role);
      return this;
    }

    /**
     * Builds the store.
     *
     * @throws IllegalStateException when folders were added without FOLDERS
     */
    public InMemoryMailStore build() {
      if (!roles.isEmpty() && !capabilities.contains(StoreCapability.FOLDERS)) {
        throw new IllegalStateException("folders other than INBOX need the FOLDERS capability");
      }
      return new InMemoryMailStore(this);
    }
  }
}
