package dev.mailcore.internal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The header syntax {@link MimeRenderer} writes: RFC 2047 encoded-words for non-ASCII text and
 * display names, RFC 5322 quoting of display names and local parts, RFC 2231 extended parameters
 * for non-ASCII file names.
 *
 * <p>Stateless and thread-safe.
 */
final class HeaderEncoding {
  /**
   * UTF-8 bytes per encoded-word: 42 bytes are 56 base64 characters without padding, a
   * 68-character word, so "Subject: " and one word fit in 78 characters (RFC 2047 §2 allows 75).
   */
  private static final int BYTES_PER_WORD = 42;
  /** A parameter value this long or longer is split into RFC 2231 §3 continuations. */
  private static final int SEGMENT = 60;
  /** Longest run without white space that a header line can carry unencoded (998 is the limit). */
  private static final int MAX_RUN = 900;

  private static final String ATEXT_SPECIALS = "!#$%&'*+-/=?^_`{|}~";
  /** RFC 2231 attribute-char minus the ones some parsers mishandle. */
  private static final String PARAM_SAFE = "!#$&+-.^_`|~";

  private HeaderEncoding() {}

  /**
   * True when text cannot be written as it is: non-ASCII, containing something a decoder would
   * take for an encoded-word, white space at either end (parsers trim it), or too long a run to
   * fold.
   */
  static boolean needsEncoding(String value) {
    int n = value.length();
    if (n == 0) {
      return false;
    }
    if (MimeRenderer.isWsp(value.charAt(0)) || MimeRenderer.isWsp(value.charAt(n - 1))) {
      return true;
    }
    int run = 0;
    for (int i = 0; i < n; i++) {
      char c = value.charAt(i);
      if (c > 126 || (c < 32 && c != '\t')) {
        return true;
      }
      if (c == '=' && i + 1 < n && value.charAt(i + 1) == '?') {
        return true;
      }
      run = MimeRenderer.isWsp(c) ? 0 : run + 1;
      if (run > MAX_RUN) {
        return true;
      }
    }
    return false;
  }

  /**
   * Lays out {@code value} as base64 UTF-8 encoded-words (RFC 2047 §4.1). A decoder drops the
   * white space between adjacent encoded-words (§6.2), so the text comes back exactly; a
   * character's bytes are never split across two words (§5 rule 3).
   */
  static void encodedWords(String value, MimeRenderer.Folder f) {
    for (String w : encodedWordList(value)) {
      f.word(w);
    }
  }

  static List<String> encodedWordList(String value) {
    List<String> words = new ArrayList<>();
    Base64.Encoder b64 = Base64.getEncoder();
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    int start = 0;
    while (start < bytes.length) {
      int end = Math.min(start + BYTES_PER_WORD, bytes.length);
      while (end < bytes.length && (bytes[end] & 0xC0) == 0x80) {
        end--; // back off to the first byte of a character
      }
      byte[] chunk = java.util.Arrays.copyOfRange(bytes, start, end);
      words.add("=?UTF-8?B?" + b64.encodeToString(chunk) + "?=");
      start = end;
    }
    return words;
  }

  /** Writes a display name: atoms as they are, other ASCII quoted, non-ASCII encoded. */
  static void phrase(String name, MimeRenderer.Folder f) {
    if (needsEncoding(name)) {
      encodedWords(name, f);
    } else if (isAtomSequence(name)) {
      for (String atom : name.split(" ")) {
        f.word(atom);
      }
    } else {
      f.word(quoted(name));
    }
  }

  /** Returns the local part as a dot-atom when it is one (UTF-8 allowed, RFC 6532), else quoted. */
  static String localPart(String local) {
    boolean dotAtom = !local.isEmpty() && !local.startsWith(".") && !local.endsWith(".")
        && !local.contains("..");
    for (int i = 0; dotAtom && i < local.length(); i++) {
      char c = local.charAt(i);
      dotAtom = c == '.' || isAtext(c);
    }
    return dotAtom ? local : quoted(local);
  }

  /** Appends the Content-Type {@code name} parameter, as encoded-words when not plain ASCII. */
  static void appendNameParameter(StringBuilder type, String fileName) {
    type.append(";\r\n name=");
    if (isSimpleParameter(fileName)) {
      type.append('"').append(fileName).append('"');
    } else {
      // not standard, but what many readers look at when they ignore RFC 2231
      type.append('"').append(String.join("\r\n ", encodedWordList(fileName))).append('"');
    }
  }

  /** Appends the Content-Disposition {@code filename} parameter, RFC 2231 encoded when needed. */
  static void appendFilename(StringBuilder disposition, String fileName) {
    if (isSimpleParameter(fileName)) {
      disposition.append(";\r\n filename=\"").append(fileName).append('"');
      return;
    }
    List<String> segments = new ArrayList<>();
    StringBuilder current = new StringBuilder("UTF-8''");
    for (byte b : fileName.getBytes(StandardCharsets.UTF_8)) {
      int v = b & 0xFF;
      String token;
      if (v < 128 && (Character.isLetterOrDigit(v) || PARAM_SAFE.indexOf(v) >= 0)) {
        token = String.valueOf((char) v);
      } else {
        token = String.format("%%%02X", v);
      }
      if (current.length() + token.length() > SEGMENT) {
        segments.add(current.toString());
        current.setLength(0);
      }
      current.append(token);
    }
    segments.add(current.toString());
    if (segments.size() == 1) {
      disposition.append(";\r\n filename*=").append(segments.get(0));
    } else {
      for (int i = 0; i < segments.size(); i++) {
        disposition.append(";\r\n filename*").append(i).append("*=").append(segments.get(i));
      }
    }
  }

  /** Printable ASCII that needs no escaping inside a quoted parameter value. */
  private static boolean isSimpleParameter(String v) {
    if (v.isEmpty() || v.length() > SEGMENT || needsEncoding(v)) {
      return false;
    }
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c < 32 || c > 126 || c == '"' || c == '\\') {
        return false;
      }
    }
    return true;
  }

  private static boolean isAtomSequence(String name) {
    if (name.isEmpty() || name.startsWith(" ") || name.endsWith(" ") || name.contains("  ")) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c != ' ' && !isAtext(c)) {
        return false;
      }
    }
    return true;
  }

  private static boolean isAtext(char c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || c >= 128
        || ATEXT_SPECIALS.indexOf(c) >= 0;
  }

  private static String quoted(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        b.append('\\');
      }
      b.append(c);
    }
    return b.append('"').toString();
  }
}
