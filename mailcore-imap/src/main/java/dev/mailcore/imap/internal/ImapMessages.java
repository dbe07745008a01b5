package dev.mailcore.imap.internal;

import dev.mailcore.Content;
import dev.mailcore.Flag;
import dev.mailcore.MessageUid;
import dev.mailcore.StoredMessage;
import dev.mailcore.internal.StoredHeaders;
import jakarta.mail.FetchProfile;
import jakarta.mail.Flags;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.UIDFolder;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.eclipse.angus.mail.imap.IMAPFolder;
import org.eclipse.angus.mail.imap.IMAPMessage;

/**
 * Turns Angus IMAP messages into {@link StoredMessage}s: the listed fields come from one batched
 * {@code UID FETCH (ENVELOPE INTERNALDATE RFC822.SIZE FLAGS UID)} per batch; the content is
 * streamed on demand with partial {@code BODY.PEEK[]} fetches of {@code mail.imap.fetchsize}.
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

  /** What a batch fetches additionally when bodies are prefetched. */
  private static final FetchProfile BODIES = bodies();

  private static FetchProfile bodies() {
    FetchProfile fp = new FetchProfile();
    fp.add(IMAPFolder.FetchProfileItem.MESSAGE);
    return fp;
  }

  /**
   * Fetches the listed fields of {@code messages} in one round trip and maps them; with {@code
   * prefetch} above 0, whole messages up to that size follow in one more round trip.
   */
  static List<StoredMessage> load(IMAPFolder folder, Message[] messages, long prefetch)
      throws MessagingException {
    List<Message> live = new ArrayList<>(messages.length);
    for (Message m : messages) {
      if (m != null && !m.isExpunged()) {
        live.add(m);
      }
    }
    Message[] batch = live.toArray(Message[]::new);
    folder.fetch(batch, PROFILE);
    Set<Message> prefetched = new HashSet<>();
    if (prefetch > 0) {
      for (Message m : batch) {
        if (!m.isExpunged() && m.getSize() >= 0 && m.getSize() <= prefetch) {
          prefetched.add(m);
        }
      }
      folder.fetch(prefetched.toArray(Message[]::new), BODIES);
    }
    long validity = folder.getUIDValidity();
    List<StoredMessage> out = new ArrayList<>(batch.length);
    for (Message m : batch) {
      if (!m.isExpunged()) {
        out.add(toStored(folder, (IMAPMessage) m, validity, prefetched.contains(m)));
      }
    }
    return out;
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

  private static StoredMessage toStored(
      IMAPFolder folder, IMAPMessage m, long validity, boolean prefetched)
      throws MessagingException {
    long size = Math.max(0, m.getSize());
    Date received = m.getReceivedDate();
    return StoredMessage.builder(uid(validity, folder.getUID(m)))
        .size(size)
        .receivedDate(received == null ? null : received.toInstant())
        .flags(flags(m.getFlags()))
        .headers(StoredHeaders.of(m))
        .content(Content.ofSource(() -> prefetched ? cached(m) : open(m), size))
        .build();
  }

  /** The body fetched with the batch: Angus holds it, writeTo needs no round trip. */
  private static java.io.InputStream cached(IMAPMessage m) throws IOException {
    try {
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(Math.max(0, m.getSize()));
      m.writeTo(out);
      return new java.io.ByteArrayInputStream(out.toByteArray());
    } catch (MessagingException e) {
      throw new IOException("cannot read prefetched message: " + e.getMessage(), e);
    }
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
