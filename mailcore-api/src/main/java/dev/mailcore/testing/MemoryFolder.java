package dev.mailcore.testing;

import dev.mailcore.Flag;
import dev.mailcore.Folder;
import dev.mailcore.MailFormatException;
import dev.mailcore.Message;
import dev.mailcore.MessageUid;
import dev.mailcore.SearchQuery;
import dev.mailcore.StoreCapability;
import dev.mailcore.StoredMessage;
import dev.mailcore.SyncResult;
import dev.mailcore.SyncState;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A folder of an {@link InMemoryMailStore}. Belongs to one thread, like every {@link Folder}; the
 * shared state it reads lives in the {@link MemoryMailbox}.
 */
final class MemoryFolder implements Folder {
  private static final String STATE_PREFIX = "mem:";

  private final InMemoryMailStore store;
  private final MemoryMailbox mailbox;
  private final String name;
  private boolean closed;

  MemoryFolder(InMemoryMailStore store, MemoryMailbox mailbox, String name) {
    this.store = store;
    this.mailbox = mailbox;
    this.name = name;
    mailbox.requireExists(name);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public int messageCount() {
    checkOpen();
    return mailbox.count(name);
  }

  @Override
  public Stream<StoredMessage> list() {
    checkOpen();
    return mailbox.entries(name).stream().map(MemoryMailbox.Entry::toStored);
  }

  @Override
  public Optional<StoredMessage> find(MessageUid uid) {
    Objects.requireNonNull(uid, "uid");
    checkOpen();
    return mailbox.find(name, uid).map(MemoryMailbox.Entry::toStored);
  }

  @Override
  public SyncResult fetchNew(SyncState state) {
    Objects.requireNonNull(state, "state");
    checkOpen();
    MemoryMailbox.Since since = mailbox.since(name, decode(state));
    List<StoredMessage> found =
        since.entries().stream().map(MemoryMailbox.Entry::toStored).toList();
    SyncState next = SyncState.parse(STATE_PREFIX + since.uidValidity() + ":" + since.nextUid());
    return new SyncResult(found, next, since.reset());
  }

  /** Reads {@code mem:<uidvalidity>:<next uid>}; empty for the initial state. */
  private static Optional<long[]> decode(SyncState state) {
    if (state.isInitial()) {
      return Optional.empty();
    }
    String s = state.encoded();
    String[] parts = s.split(":", -1);
    if (!s.startsWith(STATE_PREFIX) || parts.length != 3) {
      throw new MailFormatException("not a sync state of an in-memory store: " + s, 0);
    }
    try {
      return Optional.of(new long[] {Long.parseLong(parts[1]), Long.parseLong(parts[2])});
    } catch (NumberFormatException e) {
      throw new MailFormatException("not a sync state of an in-memory store: " + s, e);
    }
  }

  @Override
  public void delete(Collection<MessageUid> uids) {
    Objects.requireNonNull(uids, "uids");
    checkOpen();
    mailbox.remove(name, uids);
  }

  @Override
  public void addFlags(Collection<MessageUid> uids, Set<Flag> flags) {
    changeFlags(uids, flags, true, "addFlags");
  }

  @Override
  public void removeFlags(Collection<MessageUid> uids, Set<Flag> flags) {
    changeFlags(uids, flags, false, "removeFlags");
  }

  private void changeFlags(Collection<MessageUid> uids, Set<Flag> flags, boolean add, String op) {
    Objects.requireNonNull(uids, "uids");
    Objects.requireNonNull(flags, "flags");
    store.require(StoreCapability.FLAGS, op);
    checkOpen();
    mailbox.changeFlags(name, uids, flags, add);
  }

  @Override
  public List<StoredMessage> search(SearchQuery query) {
    Objects.requireNonNull(query, "query");
    store.require(StoreCapability.SEARCH, "search");
    checkOpen();
    return list().filter(query::matches).toList();
  }

  @Override
  public void copyTo(Collection<MessageUid> uids, String targetFolder) {
    transfer(uids, targetFolder, false, "copyTo");
  }

  @Override
  public void moveTo(Collection<MessageUid> uids, String targetFolder) {
    transfer(uids, targetFolder, true, "moveTo");
  }

  private void transfer(Collection<MessageUid> uids, String target, boolean move, String op) {
    Objects.requireNonNull(uids, "uids");
    Objects.requireNonNull(target, "targetFolder");
    store.require(StoreCapability.FOLDERS, op);
    checkOpen();
    String targetName = mailbox.canonicalName(target);
    store.announce(targetName, mailbox.transfer(name, uids, targetName, move));
  }

  @Override
  public Optional<MessageUid> append(Message message, Set<Flag> flags) {
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(flags, "flags");
    store.require(StoreCapability.APPEND, "append");
    checkOpen();
    List<MemoryMailbox.Entry> added = mailbox.add(name, List.of(MessageSource.of(message)), flags);
    store.announce(name, added);
    return Optional.of(added.get(0).messageUid());
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("folder " + name + " is closed");
    }
    store.checkOpen();
  }

  @Override
  public void close() {
    closed = true;
  }

  @Override
  public String toString() {
    return "MemoryFolder{" + name + (closed ? ", closed" : "") + "}";
  }
}
