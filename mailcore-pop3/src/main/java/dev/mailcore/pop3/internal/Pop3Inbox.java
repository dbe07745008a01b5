package dev.mailcore.pop3.internal;

import dev.mailcore.Flag;
import dev.mailcore.Folder;
import dev.mailcore.MailConnectionException;
import dev.mailcore.MailException;
import dev.mailcore.MailStore;
import dev.mailcore.MessageUid;
import dev.mailcore.SearchQuery;
import dev.mailcore.StoreCapability;
import dev.mailcore.StoredMessage;
import dev.mailcore.SyncResult;
import dev.mailcore.SyncState;
import dev.mailcore.internal.Batches;
import dev.mailcore.internal.MessagingFailures;
import dev.mailcore.internal.StreamProviderLookup;
import jakarta.mail.Flags;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.eclipse.angus.mail.pop3.POP3Folder;

/**
 * The POP3 INBOX over an open Angus {@link POP3Folder}. A POP3 session sees a fixed snapshot of
 * the maildrop (RFC 1939 §5), so the UIDL map is read once. Deletions are marks that Angus sends
 * as DELE just before QUIT in {@link #close()}; a connection lost before that deletes nothing.
 * Batches of two or more messages are read through a pipelined second session where the server
 * allows it ({@link PipelinedReads}); it only reads, so deletion stays with this session. Not
 * thread-safe.
 */
final class Pop3Inbox implements Folder {
  private final Pop3Session session;
  private final POP3Folder folder;
  private final int batchSize;
  private Map<String, Message> byUidl;
  private MaildropIndex index;
  private final PipelinedReads pipelined;
  private boolean marked;
  private boolean closed;

  Pop3Inbox(Pop3Session session, POP3Folder folder) {
    this.session = session;
    this.folder = folder;
    this.batchSize = session.config().fetchBatchSize();
    this.pipelined = new PipelinedReads(session, folder);
  }

  @Override
  public String name() {
    return MailStore.INBOX;
  }

  @Override
  public int messageCount() {
    try {
      return folder.getMessageCount();
    } catch (MessagingException e) {
      throw fail("count messages", e);
    } catch (IllegalStateException e) {
      throw lost("count messages", e);
    }
  }

  /** Returns UIDL to message, oldest first, loading it with one UIDL and one LIST. */
  private Map<String, Message> byUidl() {
    if (byUidl == null) {
      try {
        MaildropIndex read = MaildropIndex.read(folder, session.host());
        Map<String, Message> map = new LinkedHashMap<>();
        for (Message m : folder.getMessages()) {
          map.put(read.id(m), m);
        }
        index = read;
        byUidl = map;
      } catch (MessagingException e) {
        throw fail("read UIDL", e);
      } catch (IllegalStateException e) {
        throw lost("read UIDL", e);
      }
    }
    return byUidl;
  }

  @Override
  public Stream<StoredMessage> list() {
    List<Message> all = new ArrayList<>(byUidl().values());
    PipelinedReads.Listing listing = listing(all);
    return Batches.stream(all.size(), batchSize, (from, to) -> load(listing, from - 1, to));
  }

  /** Returns how to load {@code messages}: pipelined when it pays and the server allows. */
  private PipelinedReads.Listing listing(List<Message> messages) {
    long prefetch = session.config().prefetchBodies();
    try {
      Optional<Pop3Pipeline> p = pipelined.pipeline(messages.size());
      if (p.isPresent()) {
        return pipelined.plan(p.get(), messages, index, prefetch);
      }
    } catch (MessagingException e) {
      throw fail("fetch headers", e);
    } catch (IllegalStateException e) {
      throw lost("fetch headers", e);
    }
    return (from, to) ->
        Pop3Messages.loadAll(
            session.session(), messages.subList(from, to), batchSize, index, prefetch);
  }

  /** Loads one batch; Jakarta Mail's per-header provider look-ups are served from memory. */
  private List<StoredMessage> load(PipelinedReads.Listing listing, int from, int to) {
    try {
      return StreamProviderLookup.call(() -> listing.load(from, to));
    } catch (MessagingException e) {
      throw fail("fetch headers", e);
    } catch (IllegalStateException e) {
      throw lost("fetch headers", e);
    }
  }

  private List<StoredMessage> load(List<Message> messages) {
    PipelinedReads.Listing listing = listing(messages);
    List<StoredMessage> out = new ArrayList<>(messages.size());
    for (int i = 0; i < messages.size(); i += batchSize) {
      out.addAll(load(listing, i, Math.min(messages.size(), i + batchSize)));
    }
    return out;
  }

  @Override
  public Optional<StoredMessage> find(MessageUid uid) {
    Objects.requireNonNull(uid, "uid");
    Message m = byUidl().get(uid.value());
    return m == null ? Optional.empty() : load(List.of(m)).stream().findFirst();
  }

  @Override
  public SyncResult fetchNew(SyncState state) {
    Set<String> seen = UidlSyncState.parse(Objects.requireNonNull(state, "state"));
    Map<String, Message> now = byUidl();
    List<Message> fresh = new ArrayList<>();
    Set<String> next = new TreeSet<>();
    for (Map.Entry<String, Message> e : now.entrySet()) {
      if (!seen.contains(e.getKey())) {
        fresh.add(e.getValue());
      }
      // ids no longer on the server are dropped, so the state stays as small as the mailbox
      next.add(e.getKey());
    }
    List<StoredMessage> messages = load(fresh);
    if (session.config().deleteAfterDownload()) {
      // the caller has these now (and had the earlier ones); DELE goes out at QUIT
      mark(List.copyOf(now.values()));
    }
    return new SyncResult(messages, UidlSyncState.encode(next), false);
  }

  @Override
  public void delete(Collection<MessageUid> uids) {
    Objects.requireNonNull(uids, "uids");
    List<Message> marked = new ArrayList<>();
    for (MessageUid u : uids) {
      Message m = byUidl().get(Objects.requireNonNull(u, "uid").value());
      if (m != null) {
        marked.add(m);
      }
    }
    mark(marked);
  }

  private void mark(List<Message> messages) {
    try {
      for (Message m : messages) {
        m.setFlags(new Flags(Flags.Flag.DELETED), true);
        marked = true;
      }
    } catch (MessagingException e) {
      throw fail("mark messages deleted", e);
    }
  }

  @Override
  public void addFlags(Collection<MessageUid> uids, Set<Flag> flags) {
    throw Pop3Session.unsupported(StoreCapability.FLAGS, "addFlags");
  }

  @Override
  public void removeFlags(Collection<MessageUid> uids, Set<Flag> flags) {
    throw Pop3Session.unsupported(StoreCapability.FLAGS, "removeFlags");
  }

  @Override
  public List<StoredMessage> search(SearchQuery query) {
    throw Pop3Session.unsupported(StoreCapability.SEARCH, "search");
  }

  @Override
  public void copyTo(Collection<MessageUid> uids, String targetFolder) {
    throw Pop3Session.unsupported(StoreCapability.FOLDERS, "copyTo");
  }

  @Override
  public void moveTo(Collection<MessageUid> uids, String targetFolder) {
    throw Pop3Session.unsupported(StoreCapability.FOLDERS, "moveTo");
  }

  @Override
  public Optional<MessageUid> append(dev.mailcore.Message message, Set<Flag> flags) {
    throw Pop3Session.unsupported(StoreCapability.APPEND, "append");
  }

  private MailException fail(String what, MessagingException e) {
    return MessagingFailures.translate(what + " in INBOX on " + session.host(), e);
  }

  /** Angus closes a POP3 folder on a read failure; later calls then see "Folder not open". */
  private MailException lost(String what, IllegalStateException e) {
    return new MailConnectionException(
        "connection to " + session.host() + " lost: " + what + ": " + e.getMessage(), true, e);
  }

  /**
   * Sends DELE for every marked message, then QUIT (RFC 1939 §6: the UPDATE state).
   *
   * @throws MailException when the connection failed first; then nothing was deleted
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    session.forget(this);
    jakarta.mail.Store store = folder.getStore();
    // the second session marked nothing: QUIT it first, so the main one's DELE run alone
    pipelined.close();
    try {
      // Angus checks the connection with NOOP here and closes the folder when it is dead
      if (!folder.isOpen()) {
        if (marked) {
          throw new MailConnectionException(
              "connection to " + session.host() + " was lost before QUIT; nothing was deleted",
              true,
              null);
        }
        return;
      }
      folder.close(true);
    } catch (MessagingException e) {
      throw fail("apply deletions and QUIT", e);
    } finally {
      Pop3Session.closeQuietly(store);
    }
  }

  @Override
  public String toString() {
    return "Pop3Inbox{" + session.host() + "}";
  }
}
