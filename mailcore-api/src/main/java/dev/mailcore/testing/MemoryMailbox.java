package dev.mailcore.testing;

import dev.mailcore.Content;
import dev.mailcore.Flag;
import dev.mailcore.FolderInfo;
import dev.mailcore.MailException;
import dev.mailcore.MailStore;
import dev.mailcore.MessageUid;
import dev.mailcore.StoredMessage;
import java.io.ByteArrayInputStream;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The folders and messages of an {@link InMemoryMailStore}, modelled on an IMAP mailbox: each
 * folder has a UIDVALIDITY and hands out ascending UIDs that are never reused. Thread-safe: every
 * method holds the monitor of this object.
 */
final class MemoryMailbox {
  private final Clock clock;
  private final boolean keepsFlags;
  private final Map<String, FolderData> folders = new LinkedHashMap<>();
  private long nextUidValidity = 1;

  MemoryMailbox(Clock clock, boolean keepsFlags, Map<String, FolderInfo.Role> roles) {
    this.clock = clock;
    this.keepsFlags = keepsFlags;
    folders.put(
        MailStore.INBOX,
        new FolderData(MailStore.INBOX, Optional.of(FolderInfo.Role.INBOX), nextUidValidity++));
    roles.forEach(
        (name, role) ->
            folders.put(name, new FolderData(name, Optional.of(role), nextUidValidity++)));
  }

  static boolean isInbox(String name) {
    return name.equalsIgnoreCase(MailStore.INBOX);
  }

  /** Returns the name under which the folder is kept: INBOX in upper case, others as given. */
  String canonicalName(String name) {
    return isInbox(name) ? MailStore.INBOX : name;
  }

  /** One stored message. Its flags change under the mailbox's monitor. */
  static final class Entry {
    final long uidValidity;
    final long uid;
    final MessageSource source;
    final Instant received;
    volatile Set<Flag> flags;

    Entry(long uidValidity, long uid, MessageSource source, Instant received, Set<Flag> flags) {
      this.uidValidity = uidValidity;
      this.uid = uid;
      this.source = source;
      this.received = received;
      this.flags = Set.copyOf(flags);
    }

    MessageUid messageUid() {
      return MessageUid.of(uidValidity + ":" + uid);
    }

    StoredMessage toStored() {
      byte[] bytes = source.bytes();
      return StoredMessage.builder(messageUid())
          .size(bytes.length)
          .receivedDate(received)
          .flags(flags)
          .headers(source.headers())
          .content(Content.ofSource(() -> new ByteArrayInputStream(bytes), bytes.length))
          .build();
    }
  }

  /** What {@link #since} found. */
  record Since(List<Entry> entries, long uidValidity, long nextUid, boolean reset) {}

  private static final class FolderData {
    String name;
    final Optional<FolderInfo.Role> role;
    long uidValidity;
    long nextUid = 1;
    final TreeMap<Long, Entry> entries = new TreeMap<>();

    FolderData(String name, Optional<FolderInfo.Role> role, long uidValidity) {
      this.name = name;
      this.role = role;
      this.uidValidity = uidValidity;
    }
  }

  private FolderData folder(String name) {
    FolderData f = folders.get(canonicalName(name));
    if (f == null) {
      throw new MailException("no folder named '" + name + "'", false);
    }
    return f;
  }

  synchronized void requireExists(String name) {
    folder(name);
  }

  synchronized List<FolderInfo> folders() {
    return folders.values().stream().map(f -> new FolderInfo(f.name, f.role)).toList();
  }

  synchronized void create(String name, Optional<FolderInfo.Role> role) {
    if (name.isBlank() || isInbox(name)) {
      throw new MailException("cannot create a folder named '" + name + "'", false);
    }
    if (folders.containsKey(name)) {
      throw new MailException("folder '" + name + "' exists already", false);
    }
    folders.put(name, new FolderData(name, role, nextUidValidity++));
  }

  synchronized void rename(String from, String to) {
    if (isInbox(from) || isInbox(to) || to.isBlank()) {
      throw new MailException("cannot rename '" + from + "' to '" + to + "'", false);
    }
    FolderData f = folder(from);
    if (folders.containsKey(to)) {
      throw new MailException("folder '" + to + "' exists already", false);
    }
    folders.remove(from);
    f.name = to;
    folders.put(to, f);
  }

  synchronized void delete(String name) {
    if (isInbox(name)) {
      throw new MailException("INBOX cannot be deleted", false);
    }
    folder(name);
    folders.remove(name);
  }

  synchronized List<Entry> add(String name, List<MessageSource> sources, Set<Flag> flags) {
    FolderData f = folder(name);
    Instant now = clock.instant();
    List<Entry> added = new ArrayList<>();
    for (MessageSource s : sources) {
      Entry e = new Entry(f.uidValidity, f.nextUid++, s, now, keepsFlags ? flags : Set.of());
      f.entries.put(e.uid, e);
      added.add(e);
    }
    return added;
  }

  synchronized List<Entry> entries(String name) {
    return List.copyOf(folder(name).entries.values());
  }

  synchronized int count(String name) {
    return folder(name).entries.size();
  }

  synchronized Optional<Entry> find(String name, MessageUid uid) {
    return Optional.ofNullable(resolve(folder(name), uid));
  }

  private static Entry resolve(FolderData f, MessageUid uid) {
    String v = uid.value();
    int colon = v.indexOf(':');
    if (colon < 0) {
      return null;
    }
    try {
      long validity = Long.parseLong(v.substring(0, colon));
      long number = Long.parseLong(v.substring(colon + 1));
      return validity == f.uidValidity ? f.entries.get(number) : null;
    } catch (NumberFormatException e) {
      // not an id this store made: like an IMAP server, treat it as no such message
      return null;
    }
  }

  private static List<Entry> resolveAll(FolderData f, Collection<MessageUid> uids) {
    List<Entry> out = new ArrayList<>();
    for (MessageUid uid : uids) {
      Entry e = resolve(f, uid);
      if (e != null) {
        out.add(e);
      }
    }
    out.sort((a, b) -> Long.compare(a.uid, b.uid));
    return out;
  }

  synchronized void remove(String name, Collection<MessageUid> uids) {
    FolderData f = folder(name);
    for (Entry e : resolveAll(f, uids)) {
      f.entries.remove(e.uid);
    }
  }

  synchronized void changeFlags(
      String name, Collection<MessageUid> uids, Set<Flag> flags, boolean add) {
    for (Entry e : resolveAll(folder(name), uids)) {
      Set<Flag> next = new HashSet<>(e.flags);
      if (add) {
        next.addAll(flags);
      } else {
        next.removeAll(flags);
      }
      e.flags = Set.copyOf(next);
    }
  }

  /**
   * Copies into {@code target}, keeping flags and received date; optionally removes the originals.
   */
  synchronized List<Entry> transfer(
      String name, Collection<MessageUid> uids, String target, boolean move) {
    FolderData from = folder(name);
    FolderData to = folder(target);
    List<Entry> added = new ArrayList<>();
    for (Entry e : resolveAll(from, uids)) {
      Entry copy = new Entry(to.uidValidity, to.nextUid++, e.source, e.received, e.flags);
      to.entries.put(copy.uid, copy);
      added.add(copy);
      if (move) {
        from.entries.remove(e.uid);
      }
    }
    return added;
  }

  /** Returns the entries at or above {@code nextUid}, or all when the validity differs. */
  synchronized Since since(String name, Optional<long[]> state) {
    FolderData f = folder(name);
    boolean reset = state.isPresent() && state.get()[0] != f.uidValidity;
    long from = state.isPresent() && !reset ? state.get()[1] : 0;
    List<Entry> found = List.copyOf(f.entries.tailMap(from, true).values());
    return new Since(found, f.uidValidity, f.nextUid, reset);
  }

  synchronized void resetUidValidity(String name) {
    FolderData f = folder(name);
    f.uidValidity = nextUidValidity++;
    List<Entry> old = List.copyOf(f.entries.values());
    f.entries.clear();
    f.nextUid = 1;
    for (Entry e : old) {
      Entry renumbered = new Entry(f.uidValidity, f.nextUid++, e.source, e.received, e.flags);
      f.entries.put(renumbered.uid, renumbered);
    }
  }

  @Override
  public synchronized String toString() {
    return "MemoryMailbox" + folders.keySet();
  }
}
