package dev.mailcore.pop3.internal;

import dev.mailcore.Content;
import dev.mailcore.MessageUid;
import dev.mailcore.StoredMessage;
import dev.mailcore.internal.ResponseGuard;
import dev.mailcore.internal.StoredHeaders;
import jakarta.mail.FetchProfile;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.UIDFolder;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.angus.mail.pop3.POP3Folder;
import org.eclipse.angus.mail.pop3.POP3Message;

/**
 * Turns Angus POP3 messages into {@link StoredMessage}s, one command at a time: the path for
 * servers without PIPELINING (otherwise {@link PipelinedReads}), for single messages and for
 * polls. UIDL and LIST run once for the whole mailbox; headers come from TOP n 0 for each message
 * of a batch, bodies from RETR when the content is opened, spooled to a temporary file; with
 * prefetching, small messages come whole from one RETR each instead.
 */
final class Pop3Messages {
  private static final FetchProfile IDS = ids();

  private Pop3Messages() {}

  private static FetchProfile ids() {
    FetchProfile fp = new FetchProfile();
    fp.add(UIDFolder.FetchProfileItem.UID);
    return fp;
  }

  /**
   * Returns the most bytes a reply about a message of {@code size} (by LIST) may have: four times
   * the size plus 1 MiB, so that a reply that lost its terminating line or never ends is caught
   * long before it fills the disk or the heap. Generous, since servers count loosely: line ends as
   * LF, or the size of the message as their store keeps it rather than as sent.
   */
  static long budget(long size) {
    return 4 * Math.max(size, 0) + (1 << 20);
  }

  /**
   * Returns the most bytes a listing of {@code count} messages (UIDL or LIST) may have: RFC 1939
   * §7 keeps an id within 70 characters, so a line is under 100 bytes.
   */
  static long listingBudget(int count) {
    return 100L * Math.max(count, 0) + 64 * 1024;
  }

  /** Fetches every message's UIDL: one UIDL command. */
  static Message[] withIds(POP3Folder folder) throws MessagingException {
    Message[] all = folder.getMessages();
    return ResponseGuard.budget(
        "UIDL",
        listingBudget(all.length),
        () -> {
          folder.fetch(all, IDS);
          return all;
        });
  }

  /**
   * Returns every message's size, by message number from 0: one LIST command. (Angus's own
   * {@code getSize} would RETR the whole message with the file cache on.)
   */
  static int[] sizes(POP3Folder folder) throws MessagingException {
    return ResponseGuard.budget("LIST", listingBudget(folder.getMessageCount()), folder::getSizes);
  }

  /**
   * Fetches the headers of {@code batch} (ids already fetched) and maps them. A message of at
   * most {@code prefetch} bytes (by LIST size; 0 turns this off) is fetched whole with one RETR,
   * which Angus spools to its file cache and takes the headers from, so it costs no TOP and
   * opening its content later costs no round trip. Others get TOP n 0, asked directly: with the
   * file cache on, Angus would load headers with a whole RETR.
   */
  static List<StoredMessage> load(
      Session session, Message[] batch, MaildropIndex index, long prefetch)
      throws MessagingException {
    List<StoredMessage> out = new ArrayList<>(batch.length);
    for (Message m : batch) {
      POP3Message pm = (POP3Message) m;
      int n = pm.getMessageNumber();
      long size = index.size(pm);
      MimeMessage headers;
      if (size > 0 && size <= prefetch) {
        headers = retrieve(pm, size);
      } else {
        try (InputStream top =
            ResponseGuard.budget("TOP " + n + " 0", budget(size), () -> pm.top(0))) {
          headers = new MimeMessage(session, top);
        } catch (IOException e) {
          throw new MessagingException("cannot read headers of message " + n, e);
        }
      }
      out.add(
          StoredMessage.builder(MessageUid.of(index.id(pm)))
              .size(size)
              .headers(StoredHeaders.of(headers))
              .content(Content.ofSource(() -> open(pm, size), size))
              .build());
    }
    return out;
  }

  /** RETRs {@code m} into the file cache; its headers are then parsed from that download. */
  private static MimeMessage retrieve(POP3Message m, long size) throws MessagingException {
    try (InputStream whole = open(m, size)) {
      // opening is the download; the stream is a view of the cache file, read again on open()
      return m;
    } catch (IOException e) {
      throw new MessagingException("cannot retrieve message " + m.getMessageNumber(), e);
    }
  }

  static List<StoredMessage> loadAll(
      Session session,
      List<Message> messages,
      int batchSize,
      MaildropIndex index,
      long prefetch)
      throws MessagingException {
    List<StoredMessage> out = new ArrayList<>(messages.size());
    for (int i = 0; i < messages.size(); i += batchSize) {
      List<Message> part = messages.subList(i, Math.min(messages.size(), i + batchSize));
      out.addAll(load(session, part.toArray(Message[]::new), index, prefetch));
    }
    return out;
  }

  /**
   * Opens the content of {@code m} through Angus: RETR, spooled to its file cache. With the file
   * cache on, Angus 2.0 ignores a {@code -ERR} to RETR and hands out an empty message, so an
   * empty stream for a message whose LIST size is not 0 is reported as the refusal it was.
   */
  static InputStream open(POP3Message m, long size) throws IOException {
    InputStream in;
    try {
      // the first open downloads into Angus's file cache: a reply that never ends must not
      // fill the disk
      in = ResponseGuard.budget("RETR " + m.getMessageNumber(), budget(size), m::getMimeStream);
    } catch (MessagingException e) {
      throw new IOException("cannot retrieve message: " + e.getMessage(), e);
    }
    PushbackInputStream peek = new PushbackInputStream(in, 1);
    int first = peek.read();
    if (first < 0 && size > 0) {
      peek.close();
      throw new IOException(
          "server sent nothing for message " + m.getMessageNumber() + " of " + size
              + " bytes: RETR was refused");
    }
    if (first >= 0) {
      peek.unread(first);
    }
    return peek;
  }
}
