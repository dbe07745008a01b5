package dev.mailcore.smtp.dkim;

import java.util.Locale;

/**
 * One header field exactly as it appears in the message, folding included, line ends CRLF. Bytes
 * are held as ISO-8859-1 characters, one char per byte, so raw UTF-8 passes through unchanged.
 */
record HeaderField(String name, String raw) {

  /** Returns the simple form (RFC 6376 §3.4.1): the field unchanged, with its final CRLF. */
  String simple() {
    return raw;
  }

  /**
   * Returns the relaxed form (RFC 6376 §3.4.2): name lower-cased, value unfolded, runs of
   * whitespace made one space, whitespace around the colon and at the end removed, then CRLF.
   */
  String relaxed() {
    int colon = raw.indexOf(':');
    String value = raw.substring(colon + 1).replace("\r\n", "").replace("\n", "");
    StringBuilder out = new StringBuilder(raw.length());
    out.append(name.toLowerCase(Locale.ROOT).strip()).append(':');
    boolean space = false;
    boolean started = false;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == ' ' || c == '\t') {
        space = true;
      } else {
        if (space && started) {
          out.append(' ');
        }
        space = false;
        started = true;
        out.append(c);
      }
    }
    return out.append("\r\n").toString();
  }

  /** Returns this field canonicalized as chosen. */
  String canonical(DkimCanonicalization canonicalization) {
    return canonicalization == DkimCanonicalization.SIMPLE ? simple() : relaxed();
  }
}
