package dev.mailcore.pop3.internal;

import dev.mailcore.MailException;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.eclipse.angus.mail.pop3.POP3Folder;

/**
 * What one POP3 session knows of its maildrop snapshot (RFC 1939 §5), by message number: the
 * LIST sizes and a distinct id per message. The id is the UIDL, except that a UIDL used by an
 * earlier message already gets {@code ~2}, {@code ~3}, ... appended: RFC 1939 §7 wants unique
 * ids, but servers that derive them from the content give two copies of a message the same one,
 * and keying by the bare UIDL dropped all copies but one without a word. Numbering the copies in
 * maildrop order gives every session that sees the same copies the same ids. Immutable.
 *
 * @param sizes LIST size by message number from 0
 * @param ids distinct id by message number from 0
 */
record MaildropIndex(int[] sizes, String[] ids) {

  /**
   * Reads the index with one UIDL and one LIST.
   *
   * @throws MailException when the server has no UIDL, so messages have no stable id
   */
  static MaildropIndex read(POP3Folder folder, String host) throws MessagingException {
    Message[] all = Pop3Messages.withIds(folder);
    String[] uidls = new String[all.length];
    for (int i = 0; i < all.length; i++) {
      String uid = folder.getUID(all[i]);
      if (uid == null || uid.equals("UNKNOWN")) {
        throw new MailException(
            "POP3 server " + host + " does not support UIDL; messages have no stable id", false);
      }
      uidls[i] = uid;
    }
    return new MaildropIndex(Pop3Messages.sizes(folder), distinct(List.of(uidls)));
  }

  /** Returns {@code uidls} (in message-number order) with later copies of an id numbered. */
  static String[] distinct(List<String> uidls) {
    String[] out = new String[uidls.size()];
    Set<String> taken = new HashSet<>(uidls.size() * 2);
    for (int i = 0; i < out.length; i++) {
      String id = uidls.get(i);
      for (int copy = 2; !taken.add(id); copy++) {
        id = uidls.get(i) + "~" + copy;
      }
      out[i] = id;
    }
    return out;
  }

  /** Returns the LIST size of {@code m}, 0 when unknown. */
  long size(Message m) {
    int n = m.getMessageNumber();
    return n >= 1 && n <= sizes.length ? Math.max(0, sizes[n - 1]) : 0;
  }

  /** Returns the id of {@code m}. */
  String id(Message m) {
    return ids[m.getMessageNumber() - 1];
  }
}
