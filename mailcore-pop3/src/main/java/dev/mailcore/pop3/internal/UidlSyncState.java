package dev.mailcore.pop3.internal;

import dev.mailcore.MailFormatException;
import dev.mailcore.SyncState;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Set;
import java.util.TreeSet;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * The POP3 sync state: the set of UIDLs seen (RFC 1939 §7), sorted, joined by LF, deflated and
 * base64url-encoded after {@code pop3:}, so that thousands of ids stay one short line. Only ids
 * still on the server are kept, so the state does not grow with mail deleted long ago.
 */
final class UidlSyncState {
  private static final String PREFIX = "pop3:";
  private static final int MAX_INFLATED = 64 * 1024 * 1024;

  private UidlSyncState() {}

  static Set<String> parse(SyncState state) {
    Set<String> out = new TreeSet<>();
    if (state.isInitial()) {
      return out;
    }
    String s = state.encoded();
    if (!s.startsWith(PREFIX)) {
      throw new MailFormatException("not a POP3 sync state: " + (s.length() > 20 ? s.substring(0, 20) + "..." : s), 0);
    }
    byte[] packed;
    try {
      packed = Base64.getUrlDecoder().decode(s.substring(PREFIX.length()));
    } catch (IllegalArgumentException e) {
      throw new MailFormatException("POP3 sync state is not base64url", e);
    }
    String text = inflate(packed);
    if (!text.isEmpty()) {
      for (String uid : text.split("\n")) {
        out.add(uid);
      }
    }
    return out;
  }

  static SyncState encode(Set<String> uidls) {
    String text = String.join("\n", new TreeSet<>(uidls));
    Deflater d = new Deflater(Deflater.BEST_COMPRESSION);
    d.setInput(text.getBytes(StandardCharsets.US_ASCII));
    d.finish();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[4096];
    while (!d.finished()) {
      out.write(buf, 0, d.deflate(buf));
    }
    d.end();
    return SyncState.parse(PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(out.toByteArray()));
  }

  private static String inflate(byte[] packed) {
    Inflater inf = new Inflater();
    inf.setInput(packed);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[4096];
    try {
      while (!inf.finished()) {
        int n = inf.inflate(buf);
        if (n == 0 && (inf.needsInput() || inf.needsDictionary())) {
          throw new MailFormatException("POP3 sync state is truncated", -1);
        }
        out.write(buf, 0, n);
        if (out.size() > MAX_INFLATED) {
          throw new MailFormatException("POP3 sync state is implausibly large", -1);
        }
      }
    } catch (DataFormatException e) {
      throw new MailFormatException("POP3 sync state is corrupt", e);
    } finally {
      inf.end();
    }
    return out.toString(StandardCharsets.US_ASCII);
  }
}
