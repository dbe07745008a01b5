package dev.mailcore.imap.internal;

import dev.mailcore.Flag;
import dev.mailcore.Folder;
import dev.mailcore.MailException;
import dev.mailcore.MessageUid;
import dev.mailcore.SearchQuery;
import dev.mailcore.StoredMessage;
import dev.mailcore.SyncResult;
import dev.mailcore.SyncState;
import dev.mailcore.internal.Batches;
import jakarta.mail.Flags;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.UIDFolder;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.search.AndTerm;
import jakarta.mail.search.ComparisonTerm;
import jakarta.mail.search.FlagTerm;
import jakarta.mail.search.ReceivedDateTerm;
import jakarta.mail.search.SearchTerm;
import jakarta.mail.search.SizeTerm;
import jakarta.mail.search.SubjectTerm;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.eclipse.angus.mail.imap.AppendUID;
import org.eclipse.angus.mail.imap.IMAPFolder;

/**
 * A {@link Folder} over an open Angus {@link IMAPFolder} with a connection of its own. Ids are
 * {@code uidvalidity:uid}; an id of another UIDVALIDITY is unknown. Not thread-safe.
 */
final class AngusImapFolder implements Folder {
  private static final java.time.Duration SLACK = java.time.Duration.ofDays(1);
  private final ImapSession session;
  private final IMAPFolder folder;
  private final int batchSize;
  private final long prefetch;

  AngusImapFolder(ImapSession session, IMAPFolder folder) {
    this.session = session;
    this.folder = folder;
    this.batchSize = session.config().fetchBatchSize();
    this.prefetch = session.config().prefetchBodies();
  }

  @Override
  public String name() {
    return folder.getFullName();
  }

  @Override
  public int messageCount() {
    try {
      // Angus keeps a message that the server expunged without this client's EXPUNGE (a MOVE,
      // another client's delete) in its numbering, so getMessageCount() still counts it
      int total = folder.getMessageCount();
      int gone = 0;
      for (Message m : folder.getMessages()) {
        if (m.isExpunged()) {
          gone++;
        }
      }
      return total - gone;
    } catch (MessagingException e) {
      throw fail("count messages", e);
    }
  }

  private int numbered() {
    try {
      return folder.getMessageCount();
    } catch (MessagingException e) {
      throw fail("count messages", e);
    }
  }

  @Override
  public Stream<StoredMessage> list() {
    int count = numbered(); // message numbers, expunged ones included: load skips those
    if (prefetch > 0) {
      return FetchBatcher.stream(folder, session.session(), count, session.config());
    }
    return Batches.stream(
        count,
        batchSize,
        (from, to) -> {
          try {
            int now = folder.getMessageCount(); // expunges meanwhile shrink the folder
            if (from > now) {
              return List.of();
            }
            return ImapMessages.load(folder, folder.getMessages(from, Math.min(to, now)), prefetch);
          } catch (MessagingException e) {
            throw fail("list messages " + from + ":" + to, e);
          }
        });
  }

  @Override
  public Optional<StoredMessage> find(MessageUid uid) {
    Objects.requireNonNull(uid, "uid");
    List<StoredMessage> found = load(byUids(List.of(uid)));
    return found.stream().findFirst();
  }

  @Override
  public SyncResult fetchNew(SyncState state) {
    UidSyncState old = UidSyncState.parse(Objects.requireNonNull(state, "state"));
    try {
      // Dovecot announces mail that its LDA put into the Maildir only on NOOP, CHECK or IDLE, not
      // on UID FETCH n:*: without this poll an open folder's fetchNew never saw new mail
      poll();
      long validity = folder.getUIDValidity();
      boolean fresh = old.isInitial() || old.uidValidity() != validity;
      Message[] candidates =
          fresh ? folder.getMessages() : folder.getMessagesByUID(old.lastUid() + 1, UIDFolder.MAXUID);
      long floor = fresh ? 0 : old.lastUid();
      List<StoredMessage> all = ImapMessages.loadAll(folder, candidates, batchSize, prefetch);
      List<StoredMessage> news = new ArrayList<>(all.size());
      long last = floor;
      for (StoredMessage m : all) {
        long uid = uidOf(m.uid());
        // "n:*" always matches the highest UID even when it is below n (RFC 3501 §6.4.8)
        if (uid > floor) {
          news.add(m);
          last = Math.max(last, uid);
        }
      }
      boolean reset = !old.isInitial() && old.uidValidity() != validity;
      return new SyncResult(news, new UidSyncState(validity, last).encode(), reset);
    } catch (MessagingException e) {
      throw fail("fetch new messages", e);
    }
  }

  @Override
  public void delete(Collection<MessageUid> uids) {
    Message[] msgs = byUids(uids);
    if (msgs.length == 0) {
      return;
    }
    try {
      folder.setFlags(msgs, new Flags(Flags.Flag.DELETED), true);
      if (session.hasCapability("UIDPLUS")) {
        folder.expunge(msgs); // UID EXPUNGE: only these (RFC 4315 §2.1)
      } else {
        folder.expunge();
      }
    } catch (MessagingException e) {
      throw fail("delete messages", e);
    }
  }

  @Override
  public void addFlags(Collection<MessageUid> uids, Set<Flag> flags) {
    store(uids, flags, true);
  }

  @Override
  public void removeFlags(Collection<MessageUid> uids, Set<Flag> flags) {
    store(uids, flags, false);
  }

  private void store(Collection<MessageUid> uids, Set<Flag> flags, boolean set) {
    Objects.requireNonNull(flags, "flags");
    Flags f = ImapMessages.flags(flags);
    Message[] msgs = byUids(uids);
    if (msgs.length == 0 || flags.isEmpty()) {
      return;
    }
    try {
      folder.setFlags(msgs, f, set);
    } catch (MessagingException e) {
      throw fail((set ? "add" : "remove") + " flags " + flags, e);
    }
  }

  @Override
  public List<StoredMessage> search(SearchQuery query) {
    Objects.requireNonNull(query, "query");
    try {
      SearchTerm term = term(query);
      Message[] found = term == null ? folder.getMessages() : folder.search(term);
      // IMAP dates have day precision (RFC 3501 §6.4.4): refine on the exact received instant;
      // From and To are matched here as substrings of the envelope addresses, because servers
      // differ (some compare whole addresses only)
      return ImapMessages.loadAll(folder, found, batchSize, prefetch).stream()
          .filter(m -> exactDates(query, m) && addressesMatch(query, m))
          .toList();
    } catch (MessagingException e) {
      throw fail("search " + query, e);
    }
  }

  private static boolean exactDates(SearchQuery q, StoredMessage m) {
    if (q.since().isEmpty() && q.before().isEmpty()) {
      return true;
    }
    return m.receivedDate()
        .map(d -> q.since().map(s -> !d.isBefore(s)).orElse(true)
            && q.before().map(b -> d.isBefore(b)).orElse(true))
        .orElse(false);
  }

  private static boolean addressesMatch(SearchQuery q, StoredMessage m) {
    return q.from().map(f -> contains(m.header("From").orElse(""), f)).orElse(true)
        && q.to().map(t -> contains(m.header("To").orElse(""), t)).orElse(true);
  }

  private static boolean contains(String haystack, String needle) {
    return haystack.toLowerCase(Locale.ROOT).contains(needle.toLowerCase(Locale.ROOT));
  }

  /** The server side of a query: every criterion but From and To (matched on the client). */
  static SearchTerm term(SearchQuery q) {
    List<SearchTerm> terms = new ArrayList<>();
    q.subject().ifPresent(s -> terms.add(new SubjectTerm(s)));
    // IMAP compares dates by day in the server's time zone (RFC 3501 §6.4.4): ask with a day
    // of slack either side (SINCE the day before, BEFORE the day after, one plain key each) and
    // refine on the exact received instant on the client. (LE became "OR BEFORE d ON d", which
    // GreenMail answered with nothing.)
    q.since()
        .ifPresent(s -> terms.add(new ReceivedDateTerm(ComparisonTerm.GE, Date.from(s.minus(SLACK)))));
    q.before()
        .ifPresent(b -> terms.add(new ReceivedDateTerm(ComparisonTerm.LT, Date.from(b.plus(SLACK)))));
    if (q.unseen()) {
      terms.add(new FlagTerm(new Flags(Flags.Flag.SEEN), false));
    }
    q.largerThan().ifPresent(n -> terms.add(new SizeTerm(ComparisonTerm.GT, (int) Math.min(n, Integer.MAX_VALUE))));
    if (terms.isEmpty()) {
      return null;
    }
    return terms.size() == 1 ? terms.get(0) : new AndTerm(terms.toArray(SearchTerm[]::new));
  }

  @Override
  public void copyTo(Collection<MessageUid> uids, String targetFolder) {
    Objects.requireNonNull(targetFolder, "targetFolder");
    Message[] msgs = byUids(uids);
    try {
      IMAPFolder target = session.existing(targetFolder);
      if (msgs.length > 0) {
        folder.copyMessages(msgs, target);
      }
    } catch (MessagingException e) {
      throw fail("copy messages to " + targetFolder, e);
    }
  }

  @Override
  public void moveTo(Collection<MessageUid> uids, String targetFolder) {
    Objects.requireNonNull(targetFolder, "targetFolder");
    Message[] msgs = byUids(uids);
    try {
      IMAPFolder target = session.existing(targetFolder);
      if (msgs.length == 0) {
        return;
      }
      if (session.hasCapability("MOVE")) {
        folder.moveMessages(msgs, target); // RFC 6851
        return;
      }
    } catch (MessagingException e) {
      throw fail("move messages to " + targetFolder, e);
    }
    copyTo(uids, targetFolder);
    delete(uids);
  }

  @Override
  public Optional<MessageUid> append(dev.mailcore.Message message, Set<Flag> flags) {
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(flags, "flags");
    // the whole message is rendered in memory: APPEND needs its exact length up front
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    message.writeTo(bytes);
    try {
      MimeMessage mime =
          new MimeMessage(session.session(), new ByteArrayInputStream(bytes.toByteArray()));
      mime.setFlags(ImapMessages.flags(flags), true);
      AppendUID[] uids = folder.appendUIDMessages(new Message[] {mime});
      if (uids != null && uids.length == 1 && uids[0] != null) {
        return Optional.of(ImapMessages.uid(uids[0].uidvalidity, uids[0].uid));
      }
      return Optional.empty();
    } catch (MessagingException e) {
      throw fail("append a message", e);
    }
  }

  private List<StoredMessage> load(Message[] msgs) {
    try {
      return ImapMessages.loadAll(folder, msgs, batchSize, prefetch);
    } catch (MessagingException e) {
      throw fail("fetch messages", e);
    }
  }

  /** Returns the live messages for ids of the current UIDVALIDITY, in one UID FETCH. */
  /** Sends NOOP, the poll for new messages (RFC 3501 §6.1.2), and takes its EXISTS and EXPUNGE. */
  private void poll() throws MessagingException {
    folder.doCommand(
        p -> {
          p.noop();
          return null;
        });
  }

  private List<Message> present(long[] uids) throws MessagingException {
    List<Message> out = new ArrayList<>(uids.length);
    for (Message m : folder.getMessagesByUID(uids)) {
      if (m != null && !m.isExpunged()) {
        out.add(m);
      }
    }
    return out;
  }

  private Message[] byUids(Collection<MessageUid> uids) {
    Objects.requireNonNull(uids, "uids");
    try {
      long validity = folder.getUIDValidity();
      long[] wanted =
          uids.stream()
              .map(u -> parse(Objects.requireNonNull(u, "uid"), validity))
              .filter(n -> n > 0)
              .mapToLong(Long::longValue)
              .toArray();
      if (wanted.length == 0) {
        return new Message[0];
      }
      List<Message> out = present(wanted);
      if (out.size() < wanted.length) {
        // a message that another session appended after this one selected the folder stays
        // invisible until the server announces it (Dovecot answers that UID FETCH with no
        // FETCH, only "* n EXISTS"): a NOOP takes the announcements, then look once more
        poll();
        out = present(wanted);
      }
      return out.toArray(Message[]::new);
    } catch (MessagingException e) {
      throw fail("find messages by UID", e);
    }
  }

  /** Returns the UID of {@code id}, or 0 when it is malformed or of another UIDVALIDITY. */
  private static long parse(MessageUid id, long validity) {
    String v = id.value();
    int colon = v.indexOf(':');
    if (colon <= 0) {
      return 0;
    }
    try {
      long idValidity = Long.parseLong(v, 0, colon, 10);
      long uid = Long.parseLong(v, colon + 1, v.length(), 10);
      return idValidity == validity && uid > 0 ? uid : 0;
    } catch (NumberFormatException e) {
      return 0; // not an id of this store: unknown, and unknown ids are ignored
    }
  }

  private static long uidOf(MessageUid id) {
    String v = id.value();
    return Long.parseLong(v, v.indexOf(':') + 1, v.length(), 10);
  }

  private MailException fail(String what, MessagingException e) {
    return ImapFailures.translate(what + " in " + folder.getFullName() + " on " + session.host(), e);
  }

  @Override
  public void close() {
    session.forget(this);
    if (!folder.isOpen()) {
      return;
    }
    try {
      folder.close(false);
    } catch (MessagingException e) {
      throw fail("close", e);
    }
  }

  @Override
  public String toString() {
    return "AngusImapFolder{" + folder.getFullName() + "}";
  }

}
