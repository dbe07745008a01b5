package dev.mailcore.internal;

import java.io.IOException;

/**
 * Quoted-printable encoding of text bodies (RFC 2045 §6.7) as UTF-8.
 *
 * <p>Every line break of the text (CRLF, CR or LF) becomes a CRLF hard break; white space before
 * a break or at the end is encoded so that no transport can strip it; lines stay within 76
 * characters through soft breaks. The output always ends at the start of a line: when the text
 * does not end with a line break, a final soft break is added, so the decoded text has no
 * trailing line break that it did not have.
 *
 * <p>Stateless and thread-safe.
 */
final class QuotedPrintable {
  private static final byte[] HEX = "0123456789ABCDEF".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  /** Longest run of encoded characters before the soft break's '='. */
  private static final int MAX_COLUMN = 75;

  private QuotedPrintable() {}

  static void encodeText(String text, MimeSink out) throws IOException {
    int column = 0;
    int n = text.length();
    for (int i = 0; i < n; i++) {
      char c = text.charAt(i);
      if (c == '\r' || c == '\n') {
        if (c == '\r' && i + 1 < n && text.charAt(i + 1) == '\n') {
          i++;
        }
        out.write('\r');
        out.write('\n');
        column = 0;
      } else if (c < 0x80) {
        boolean literal;
        if (c == ' ' || c == '\t') {
          literal = i + 1 < n && text.charAt(i + 1) != '\r' && text.charAt(i + 1) != '\n';
        } else {
          literal = c > 32 && c < 127 && c != '=';
        }
        column = literal ? literal(c, column, out) : escaped(c, column, out);
      } else {
        int cp = c;
        if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))) {
          cp = Character.toCodePoint(c, text.charAt(++i));
        } else if (Character.isSurrogate(c)) {
          cp = '?'; // an unpaired surrogate has no UTF-8 form; String.getBytes does the same
        }
        column = utf8(cp, column, out);
      }
    }
    if (column > 0) {
      out.write('=');
      out.write('\r');
      out.write('\n');
    }
  }

  private static int utf8(int cp, int column, MimeSink out) throws IOException {
    if (cp < 0x80) {
      return literal((char) cp, column, out);
    } else if (cp < 0x800) {
      column = escaped(0xC0 | (cp >> 6), column, out);
    } else if (cp < 0x10000) {
      column = escaped(0xE0 | (cp >> 12), column, out);
      column = escaped(0x80 | ((cp >> 6) & 0x3F), column, out);
    } else {
      column = escaped(0xF0 | (cp >> 18), column, out);
      column = escaped(0x80 | ((cp >> 12) & 0x3F), column, out);
      column = escaped(0x80 | ((cp >> 6) & 0x3F), column, out);
    }
    return escaped(0x80 | (cp & 0x3F), column, out);
  }

  private static int literal(char c, int column, MimeSink out) throws IOException {
    column = softBreakIfNeeded(column, 1, out);
    out.write(c);
    return column + 1;
  }

  private static int escaped(int b, int column, MimeSink out) throws IOException {
    column = softBreakIfNeeded(column, 3, out);
    out.write('=');
    out.write(HEX[(b >> 4) & 0xF]);
    out.write(HEX[b & 0xF]);
    return column + 3;
  }

  private static int softBreakIfNeeded(int column, int width, MimeSink out) throws IOException {
    if (column + width > MAX_COLUMN) {
      out.write('=');
      out.write('\r');
      out.write('\n');
      return 0;
    }
    return column;
  }
}
