package dev.mailcore.imap.internal;

import dev.mailcore.StoredMessage;
import dev.mailcore.internal.Batches;
import dev.mailcore.internal.StreamProviderLookup;
import jakarta.mail.FetchProfile;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.UIDFolder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.eclipse.angus.mail.imap.IMAPFolder;
import org.eclipse.angus.mail.imap.IMAPMessage;

/**
 * Lists a folder with whole bodies, in batches planned by bytes: the sizes of up to {@code
 * maxMessages} messages come in one cheap {@code FETCH (RFC822.SIZE UID)}, then each batch takes
 * consecutive messages until {@code maxMessages} or {@code maxBytes} of bodies, and one {@code
 * UID FETCH (UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[])} brings all of them. With many small
 * messages the cost depends on bytes, not round trips; memory holds one batch of bodies (and
 * Angus's message cache only sizes, UIDs and flags). Messages above the prefetch limit are listed
 * from one batched header FETCH and streamed on demand. Not thread-safe: the folder's thread.
 */
final class FetchBatcher {
  private static final FetchProfile SIZES = sizes();

  private final IMAPFolder folder;
  private final Session session;
  private final long limit;
  private final int maxMessages;
  private final long maxBytes;
  private final int count;
  private int sizedUpTo;

  private FetchBatcher(
      IMAPFolder folder, Session session, int count, long limit, int maxMessages, long maxBytes) {
    this.folder = folder;
    this.session = session;
    this.count = count;
    // one literal per body: never ask for more than the response guard lets through
    this.limit = Math.min(limit, dev.mailcore.internal.ResponseGuard.MAX_LITERAL);
    this.maxMessages = maxMessages;
    this.maxBytes = maxBytes;
  }

  private static FetchProfile sizes() {
    FetchProfile fp = new FetchProfile();
    fp.add(FetchProfile.Item.SIZE);
    fp.add(UIDFolder.FetchProfileItem.UID);
    return fp;
  }

  /** Streams messages 1..{@code count} of {@code folder}, fetched a batch at a time on demand. */
  static Stream<StoredMessage> stream(
      IMAPFolder folder, Session session, int count, ImapConfig config) {
    FetchBatcher batcher =
        new FetchBatcher(
            folder,
            session,
            count,
            config.prefetchBodies(),
            config.prefetchBatchMessages(),
            config.prefetchBatchBytes());
    return Batches.stream(
        count,
        from -> {
          try {
            return StreamProviderLookup.call(() -> batcher.load(from));
          } catch (MessagingException e) {
            throw ImapFailures.translate(
                "list messages from " + from + " in " + folder.getFullName(), e);
          }
        });
  }

  /** Plans and fetches the batch that starts at message {@code next}. */
  private Batches.Batch<StoredMessage> load(int next) throws MessagingException {
    int now = Math.min(count, folder.getMessageCount()); // expunges meanwhile shrink the folder
    if (next > now) {
      return new Batches.Batch<>(List.of(), count + 1);
    }
    int windowEnd = Math.min(now, next + maxMessages - 1);
    if (windowEnd > sizedUpTo) {
      int from = Math.max(next, sizedUpTo + 1);
      folder.fetch(folder.getMessages(from, windowEnd), SIZES);
      sizedUpTo = windowEnd;
    }
    List<Message> planned = new ArrayList<>();
    List<Long> wholeUids = new ArrayList<>();
    Set<Message> large = new HashSet<>();
    long bytes = 0;
    int n = next;
    for (; n <= windowEnd; n++) {
      Message m = folder.getMessage(n);
      if (m.isExpunged()) {
        continue;
      }
      long size = ((IMAPMessage) m).getSizeLong();
      boolean whole = size >= 0 && size <= limit;
      if (whole && !planned.isEmpty() && bytes + size > maxBytes) {
        break;
      }
      planned.add(m);
      if (whole) {
        wholeUids.add(folder.getUID(m));
        bytes += size;
      } else {
        large.add(m);
      }
    }
    Map<Long, ImapMessages.Whole> bodies = ImapMessages.fetchWhole(folder, wholeUids);
    if (!large.isEmpty()) {
      folder.fetch(large.toArray(Message[]::new), ImapMessages.PROFILE);
    }
    long validity = folder.getUIDValidity();
    List<StoredMessage> out = new ArrayList<>(planned.size());
    for (Message m : planned) {
      if (large.contains(m)) {
        if (!m.isExpunged()) {
          out.add(ImapMessages.streamed(folder, (IMAPMessage) m, validity));
        }
      } else {
        ImapMessages.Whole w = bodies.get(folder.getUID(m));
        if (w != null) { // absent: expunged between the size and the body FETCH
          out.add(ImapMessages.stored(session, validity, w));
        }
      }
    }
    return new Batches.Batch<>(out, n);
  }
}
