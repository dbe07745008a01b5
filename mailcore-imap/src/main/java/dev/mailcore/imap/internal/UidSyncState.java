package dev.mailcore.imap.internal;

import dev.mailcore.MailFormatException;
import dev.mailcore.SyncState;

/**
 * The IMAP sync state {@code imap:<uidvalidity>:<last seen uid>} (RFC 3501 §2.3.1.1): UIDs
 * only grow while UIDVALIDITY stays the same, so everything above the last seen UID is new;
 * another UIDVALIDITY means the old UIDs are meaningless and every message is new again.
 *
 * @param uidValidity the folder's UIDVALIDITY when the state was made, or -1 for initial
 * @param lastUid the highest UID seen, 0 when none
 */
record UidSyncState(long uidValidity, long lastUid) {
  private static final String PREFIX = "imap:";

  static UidSyncState parse(SyncState state) {
    if (state.isInitial()) {
      return new UidSyncState(-1, 0);
    }
    String s = state.encoded();
    if (!s.startsWith(PREFIX)) {
      throw new MailFormatException("not an IMAP sync state: " + abbreviate(s), 0);
    }
    int colon = s.indexOf(':', PREFIX.length());
    if (colon < 0) {
      throw new MailFormatException("IMAP sync state lacks the last UID", s.length());
    }
    long validity = number(s, PREFIX.length(), colon);
    long last = number(s, colon + 1, s.length());
    return new UidSyncState(validity, last);
  }

  boolean isInitial() {
    return uidValidity < 0;
  }

  SyncState encode() {
    return SyncState.parse(PREFIX + uidValidity + ":" + lastUid);
  }

  private static long number(String s, int from, int to) {
    if (from == to) {
      throw new MailFormatException("IMAP sync state has an empty number", from);
    }
    for (int i = from; i < to; i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9' || i - from > 10) {
        throw new MailFormatException("IMAP sync state has a bad number", i);
      }
    }
    return Long.parseLong(s, from, to, 10);
  }

  private static String abbreviate(String s) {
    return s.length() > 20 ? s.substring(0, 20) + "..." : s;
  }
}
