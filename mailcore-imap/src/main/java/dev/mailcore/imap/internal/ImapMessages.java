package dev.mailcore.imap.internal;

import dev.mailcore.Content;
import dev.mailcore.Flag;
import dev.mailcore.MessageUid;
import dev.mailcore.StoredMessage;
import dev.mailcore.internal.ResponseGuard;
import dev.mailcore.internal.StreamProviderLookup;
import dev.mailcore.internal.StoredHeaders;
import jakarta.mail.FetchProfile;
import jakarta.mail.Flags;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.UIDFolder;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.util.SharedByteArrayInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.eclipse.angus.mail.iap.ByteArray;
import org.eclipse.angus.mail.iap.Response;
import org.eclipse.angus.mail.imap.IMAPFolder;
import org.eclipse.angus.mail.imap.IMAPMessage;
import org.eclipse.angus.mail.imap.protocol.BODY;
import org.eclipse.angus.mail.imap.protocol.FLAGS;
import org.eclipse.angus.mail.imap.protocol.FetchResponse;
import org.eclipse.angus.mail.imap.protocol.INTERNALDATE;
import org.eclipse.angus.mail.imap.protocol.RFC822SIZE;
import org.eclipse.angus.mail.imap.protocol.UID;
import org.eclipse.angus.mail.imap.protocol.UIDSet;

/**
 * Turns Angus IMAP messages into {@link StoredMessage}s: the listed fields come from one batched
 * {@code FETCH (ENVELOPE INTERNALDATE RFC822.SIZE FLAGS UID)} per batch; the content is
 * streamed on demand with partial {@code BODY.PEEK[]} fetches of {@code mail.imap.fetchsize}, or,
 * when prefetched, comes whole from one {@code UID FETCH} per batch.
 */
final class ImapMessages {
  /** What one batched FETCH asks for. */
  static final FetchProfile PROFILE = profile();

  private ImapMessages() {}

  private static FetchProfile profile() {
    FetchProfile fp = new FetchProfile();
    fp.add(FetchProfile.Item.ENVELOPE);
    fp.add(FetchProfile.Item.FLAGS);
    fp.add(FetchProfile.Item.SIZE);
    fp.add(UIDFolder.FetchProfileItem.UID);
    return fp;
  }

  /** What one raw FETCH of whole messages asks for (RFC 3501 §6.4.5; PEEK keeps \\Seen off). */
  private static final String WHOLE = " (UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[])";

  /** One message fetched whole: its UID, flags, arrival and bytes. */
  record Whole(long uid, Flags flags, Date received, long size, ByteArray bytes) {}

  /**
   * Fetches the listed fields of {@code messages} in one round trip and maps them; with {@code
   * prefetch} above 0, whole messages up to that size follow in one more round trip, held by the
   * returned messages only (not by Angus's message cache).
   */
  static List<StoredMessage> load(IMAPFolder folder, Message[] messages, long prefetch)
      throws MessagingException {
    // Angus parses every fetched header block through InternetHeaders, whose StreamProvider
    // look-up otherwise scans the class path each time
    return StreamProviderLookup.call(() -> loadBatch(folder, messages, prefetch));
  }

  private static List<StoredMessage> loadBatch(IMAPFolder folder, Message[] messages, long prefetch)
      throws MessagingException {
    List<Message> live = new ArrayList<>(messages.length);
    for (Message m : messages) {
      if (m != null && !m.isExpunged()) {
        live.add(m);
      }
    }
    Message[] batch = live.toArray(Message[]::new);
    folder.fetch(batch, PROFILE);
    List<Long> small = new ArrayList<>();
    if (prefetch > 0) {
      for (Message m : batch) {
        long size = ((IMAPMessage) m).getSizeLong();
        if (!m.isExpunged() && size >= 0 && size <= Math.min(prefetch, ResponseGuard.MAX_LITERAL)) {
          small.add(folder.getUID(m));
        }
      }
    }
    Map<Long, Whole> bodies = fetchWhole(folder, small);
    long validity = folder.getUIDValidity();
    List<StoredMessage> out = new ArrayList<>(batch.length);
    for (Message m : batch) {
      if (m.isExpunged()) {
        continue;
      }
      Whole w = bodies.get(folder.getUID(m));
      out.add(w == null ? streamed(folder, (IMAPMessage) m, validity) : listed(folder, (IMAPMessage) m, validity, w));
    }
    return out;
  }

  /**
   * Fetches the messages with {@code uids} whole in one {@code UID FETCH}; Angus parses the
   * responses and hears of the untagged ones (EXISTS, EXPUNGE, flag changes), but keeps no body.
   * Messages expunged meanwhile are missing from the result.
   */
  static Map<Long, Whole> fetchWhole(IMAPFolder folder, List<Long> uids) throws MessagingException {
    if (uids.isEmpty()) {
      return Map.of();
    }
    long[] sorted = uids.stream().mapToLong(Long::longValue).sorted().toArray();
    String command = "UID FETCH " + UIDSet.toString(UIDSet.createUIDSets(sorted)) + WHOLE;
    Response[] responses =
        (Response[])
            folder.doCommand(
                p -> {
                  Response[] r = p.command(command, null);
                  p.notifyResponseHandlers(r);
                  p.handleResult(r[r.length - 1]);
                  return r;
                });
    Map<Long, Whole> out = new HashMap<>(sorted.length * 2);
    for (Response r : responses) {
      if (r instanceof FetchResponse f) {
        UID uid = f.getItem(UID.class);
        BODY body = f.getItem(BODY.class);
        if (uid == null || body == null || body.getByteArray() == null) {
          continue; // an unsolicited FETCH (a flag change) among the answers
        }
        FLAGS flags = f.getItem(FLAGS.class);
        INTERNALDATE date = f.getItem(INTERNALDATE.class);
        RFC822SIZE size = f.getItem(RFC822SIZE.class);
        ByteArray bytes = body.getByteArray();
        out.put(
            uid.uid,
            new Whole(
                uid.uid,
                flags == null ? new Flags() : flags,
                date == null ? null : date.getDate(),
                size == null ? bytes.getCount() : size.size,
                bytes));
      }
    }
    return out;
  }

  /** A message known only from its whole bytes: headers parsed from them, no round trip. */
  static StoredMessage stored(Session session, long validity, Whole w) throws MessagingException {
    ByteArray b = w.bytes();
    MimeMessage parsed =
        new MimeMessage(session, new SharedByteArrayInputStream(b.getBytes(), b.getStart(), b.getCount()));
    return StoredMessage.builder(uid(validity, w.uid()))
        .size(w.size())
        .receivedDate(w.received() == null ? null : w.received().toInstant())
        .flags(flags(w.flags()))
        .headers(StoredHeaders.of(parsed))
        .content(bytes(b))
        .build();
  }

  /** A message listed by Angus's batched FETCH whose body came whole with its batch. */
  private static StoredMessage listed(IMAPFolder folder, IMAPMessage m, long validity, Whole w)
      throws MessagingException {
    return builder(folder, m, validity).content(bytes(w.bytes())).build();
  }

  /** A message listed by Angus's batched FETCH, its content streamed on demand. */
  static StoredMessage streamed(IMAPFolder folder, IMAPMessage m, long validity)
      throws MessagingException {
    long size = Math.max(0, m.getSizeLong());
    return builder(folder, m, validity).content(Content.ofSource(() -> open(m), size)).build();
  }

  private static Content bytes(ByteArray b) {
    byte[] buf = b.getBytes();
    int start = b.getStart();
    int length = b.getCount();
    return Content.ofSource(() -> new ByteArrayInputStream(buf, start, length), length);
  }

  /** Loads {@code messages} {@code batchSize} at a time. */
  static List<StoredMessage> loadAll(
      IMAPFolder folder, Message[] messages, int batchSize, long prefetch)
      throws MessagingException {
    List<StoredMessage> out = new ArrayList<>(messages.length);
    for (int i = 0; i < messages.length; i += batchSize) {
      Message[] batch = new Message[Math.min(batchSize, messages.length - i)];
      System.arraycopy(messages, i, batch, 0, batch.length);
      out.addAll(load(folder, batch, prefetch));
    }
    return out;
  }

  static MessageUid uid(long validity, long uid) {
    return MessageUid.of(validity + ":" + uid);
  }

  private static StoredMessage.Builder builder(IMAPFolder folder, IMAPMessage m, long validity)
      throws MessagingException {
    Date received = m.getReceivedDate();
    return StoredMessage.builder(uid(validity, folder.getUID(m)))
        .size(Math.max(0, m.getSizeLong()))
        .receivedDate(received == null ? null : received.toInstant())
        .flags(flags(m.getFlags()))
        .headers(StoredHeaders.of(m));
  }

  private static java.io.InputStream open(IMAPMessage m) throws IOException {
    try {
      return m.getMimeStream();
    } catch (MessagingException e) {
      throw new IOException("cannot fetch message content: " + e.getMessage(), e);
    }
  }

  static Set<Flag> flags(Flags f) {
    Set<Flag> out = new HashSet<>();
    for (Flags.Flag s : f.getSystemFlags()) {
      if (s == Flags.Flag.SEEN) {
        out.add(Flag.SEEN);
      } else if (s == Flags.Flag.ANSWERED) {
        out.add(Flag.ANSWERED);
      } else if (s == Flags.Flag.FLAGGED) {
        out.add(Flag.FLAGGED);
      } else if (s == Flags.Flag.DELETED) {
        out.add(Flag.DELETED);
      } else if (s == Flags.Flag.DRAFT) {
        out.add(Flag.DRAFT);
      }
      // \Recent is session state, not a flag a client can set: left out
    }
    for (String k : f.getUserFlags()) {
      try {
        out.add(Flag.of(k));
      } catch (IllegalArgumentException e) {
        // a keyword the server accepted but IMAP's atom rules forbid cannot be set back by a
        // client either; it is left out of the listing rather than failing it
        continue;
      }
    }
    return out;
  }

  static Flags flags(Set<Flag> flags) {
    Flags f = new Flags();
    for (Flag flag : flags) {
      if (flag.equals(Flag.SEEN)) {
        f.add(Flags.Flag.SEEN);
      } else if (flag.equals(Flag.ANSWERED)) {
        f.add(Flags.Flag.ANSWERED);
      } else if (flag.equals(Flag.FLAGGED)) {
        f.add(Flags.Flag.FLAGGED);
      } else if (flag.equals(Flag.DELETED)) {
        f.add(Flags.Flag.DELETED);
      } else if (flag.equals(Flag.DRAFT)) {
        f.add(Flags.Flag.DRAFT);
      } else if (flag.isSystem()) {
        throw new IllegalArgumentException("unknown system flag " + flag);
      } else {
        f.add(flag.name());
      }
    }
    return f;
  }
}
