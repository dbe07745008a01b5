package dev.mailcore.smtp.check;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/** Expands SPF macros in a domain-spec (RFC 7208 §7). */
final class SpfMacro {
  private static final String DELIMITERS = ".-+,/_=";
  private static final int MAX_DOMAIN = 253;

  /** What the macro letters stand for in one evaluation. */
  record Context(String sender, String domain, InetAddress ip, String helo) {
    String localPart() {
      int at = sender.lastIndexOf('@');
      return at > 0 ? sender.substring(0, at) : "postmaster";
    }

    String senderDomain() {
      int at = sender.lastIndexOf('@');
      return at >= 0 ? sender.substring(at + 1) : sender;
    }

    /** RFC 7208 §4.3: an empty local part counts as postmaster. */
    String fullSender() {
      int at = sender.lastIndexOf('@');
      return at > 0 ? sender : "postmaster@" + senderDomain();
    }
  }

  private SpfMacro() {}

  /**
   * Expands {@code spec}, then shortens it from the left to at most 253 characters (§7.3).
   *
   * @throws SpfException permerror for a malformed macro, or one of c, r, t outside exp=
   */
  static String expand(String spec, Context ctx) throws SpfException {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < spec.length(); i++) {
      char c = spec.charAt(i);
      if (c != '%') {
        if (c < 0x21 || c > 0x7e) {
          throw SpfException.permerror("character U+" + Integer.toHexString(c) + " in '" + spec + "'");
        }
        out.append(c);
        continue;
      }
      if (++i >= spec.length()) {
        throw SpfException.permerror("'%' at the end of '" + spec + "'");
      }
      char next = spec.charAt(i);
      switch (next) {
        case '%' -> out.append('%');
        case '_' -> out.append(' ');
        case '-' -> out.append("%20");
        case '{' -> {
          int close = spec.indexOf('}', i);
          if (close < 0) {
            throw SpfException.permerror("unclosed macro in '" + spec + "'");
          }
          out.append(macro(spec.substring(i + 1, close), ctx, spec));
          i = close;
        }
        default -> throw SpfException.permerror("'%" + next + "' is not a macro in '" + spec + "'");
      }
    }
    String s = out.toString();
    while (s.length() > MAX_DOMAIN && s.indexOf('.') >= 0) {
      s = s.substring(s.indexOf('.') + 1);
    }
    return s;
  }

  private static String macro(String body, Context ctx, String spec) throws SpfException {
    if (body.isEmpty()) {
      throw SpfException.permerror("empty macro in '" + spec + "'");
    }
    char letter = body.charAt(0);
    String value =
        switch (Character.toLowerCase(letter)) {
          case 's' -> ctx.fullSender();
          case 'l' -> ctx.localPart();
          case 'o' -> ctx.senderDomain();
          case 'd' -> ctx.domain();
          case 'i' -> dotted(ctx.ip());
          case 'p' -> "unknown"; // RFC 7208 §7.3 allows it; validating the PTR name is discouraged
          case 'v' -> ctx.ip() instanceof Inet4Address ? "in-addr" : "ip6";
          case 'h' -> ctx.helo();
          default -> throw SpfException.permerror(
              "macro letter '" + letter + "' is not allowed in a domain-spec ('" + spec + "')");
        };
    int j = 1;
    int digitsStart = j;
    while (j < body.length() && Character.isDigit(body.charAt(j))) {
      j++;
    }
    int keep = -1;
    if (j > digitsStart) {
      keep = Integer.parseInt(body.substring(digitsStart, Math.min(j, digitsStart + 3)));
      if (keep == 0) {
        throw SpfException.permerror("macro keeps zero parts in '" + spec + "'");
      }
    }
    boolean reverse = false;
    if (j < body.length() && Character.toLowerCase(body.charAt(j)) == 'r') {
      reverse = true;
      j++;
    }
    String delimiters = body.substring(j);
    for (char d : delimiters.toCharArray()) {
      if (DELIMITERS.indexOf(d) < 0) {
        throw SpfException.permerror("'" + d + "' is not a macro delimiter in '" + spec + "'");
      }
    }
    if (delimiters.isEmpty()) {
      delimiters = ".";
    }
    List<String> parts = split(value, delimiters);
    if (reverse) {
      Collections.reverse(parts);
    }
    if (keep > 0 && keep < parts.size()) {
      parts = parts.subList(parts.size() - keep, parts.size());
    }
    String result = String.join(".", parts);
    return Character.isUpperCase(letter) ? urlEncode(result) : result;
  }

  private static List<String> split(String value, String delimiters) {
    List<String> parts = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < value.length(); i++) {
      if (delimiters.indexOf(value.charAt(i)) >= 0) {
        parts.add(value.substring(start, i));
        start = i + 1;
      }
    }
    parts.add(value.substring(start));
    return parts;
  }

  /** IPv4 dotted; IPv6 as 32 dot-separated nibbles (RFC 7208 §7.3). */
  static String dotted(InetAddress ip) {
    byte[] b = ip.getAddress();
    if (ip instanceof Inet4Address) {
      return ip.getHostAddress();
    }
    StringBuilder s = new StringBuilder();
    for (byte x : b) {
      s.append(Character.forDigit((x >> 4) & 0xf, 16)).append('.');
      s.append(Character.forDigit(x & 0xf, 16)).append('.');
    }
    return s.substring(0, s.length() - 1);
  }

  private static String urlEncode(String s) {
    StringBuilder out = new StringBuilder();
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xff);
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "-._~".indexOf(c) >= 0) {
        out.append(c);
      } else {
        out.append('%').append(String.format(Locale.ROOT, "%02X", (int) c));
      }
    }
    return out.toString();
  }
}
