package dev.mailcore.internal;

import dev.mailcore.MailFormatException;
import dev.mailcore.Mailbox;
import jakarta.mail.internet.MimeUtility;
import java.io.UnsupportedEncodingException;
import java.net.IDN;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * RFC 5322 §3.4 address parsing and formatting, with the RFC 6531/6532 extension to UTF-8 local
 * parts and phrases and RFC 5321 §4.1.2/§4.1.3 rules for what SMTP can carry (LDH domains, address
 * literals, length limits of §4.5.3.1).
 *
 * <p>A small recursive-descent parser over the string. It is strict where a lenient parser would
 * let header injection or unroutable addresses through (control characters, dots, lengths, domain
 * syntax) and tolerant where real mail is sloppy but unambiguous: obsolete empty list elements
 * ({@code a@x,,b@y}, RFC 5322 §4.4), dots in display names ({@code John Q. Public}, obs-phrase),
 * comments anywhere CFWS is allowed, folded input (CRLF followed by a space or tab) and
 * encoded-words inside quoted display names. Source routes and obsolete local parts with spaces
 * around dots are refused. Every error names the problem and the zero-based index in the input.
 *
 * <p>Stateless and thread-safe.
 */
public final class AddressParser {
  /** RFC 5321 §4.5.3.1.1. */
  private static final int MAX_LOCAL_PART_OCTETS = 64;

  /** RFC 5321 §4.5.3.1.2. */
  private static final int MAX_DOMAIN_OCTETS = 255;

  /** RFC 1035 §2.3.4. */
  private static final int MAX_LABEL_OCTETS = 63;

  /** RFC 2047 §2: =?charset?encoding?encoded-text?= (charset may carry an RFC 2231 language). */
  private static final Pattern ENCODED_WORD =
      Pattern.compile("=\\?[^?\\s]+\\?[bBqQ]\\?[^?\\s]*\\?=");

  private static final String ATEXT_SPECIALS = "!#$%&'*+-/=?^_`{|}~";

  private AddressParser() {}

  /**
   * Parses exactly one mailbox; a group, a list or trailing text is an error.
   *
   * @throws MailFormatException naming the first error and its index
   */
  public static Mailbox parseMailbox(String text) {
    checkInputCharacters(text);
    Input in = new Input(text);
    in.skipCfws();
    if (in.atEnd()) {
      throw new MailFormatException("address is empty", 0);
    }
    Mailbox mailbox = in.address(Context.SINGLE, null);
    in.skipCfws();
    if (!in.atEnd()) {
      char c = in.peek();
      throw new MailFormatException(
          c == ','
              ? "only one address expected, found ','"
              : in.unexpected(c) + " after the address",
          in.pos);
    }
    return mailbox;
  }

  /**
   * Parses an address list: mailboxes and groups separated by commas, members of groups flattened
   * in order. Empty elements are skipped; an empty group contributes nothing.
   *
   * @throws MailFormatException naming the first error and its index
   */
  public static List<Mailbox> parseList(String text) {
    checkInputCharacters(text);
    Input in = new Input(text);
    List<Mailbox> out = new ArrayList<>();
    boolean sawAddress = false;
    while (true) {
      in.skipCfws();
      if (in.atEnd()) {
        break;
      }
      if (in.peek() == ',') {
        in.pos++;
        continue;
      }
      in.address(Context.LIST, out);
      sawAddress = true;
      in.skipCfws();
      if (in.atEnd()) {
        break;
      }
      if (in.peek() != ',') {
        throw new MailFormatException(
            "expected ',' between addresses, found " + HeaderChecks.describe(in.peek()), in.pos);
      }
      in.pos++;
    }
    if (!sawAddress) {
      throw new MailFormatException(
          text.isBlank() ? "address list is empty" : "address list contains no address", 0);
    }
    return List.copyOf(out);
  }

  /**
   * Checks an unquoted local part given by a caller: not empty, no control characters, at most 64
   * octets once quoted for SMTP. Any other character is allowed, since quoting can carry it.
   *
   * @throws MailFormatException naming the offending character and its index
   */
  public static void checkLocalPart(String localPart) {
    if (localPart.isEmpty()) {
      throw new MailFormatException("local part is empty", 0);
    }
    for (int i = 0; i < localPart.length(); i++) {
      char c = localPart.charAt(i);
      if (isControl(c)) {
        throw new MailFormatException("local part contains " + HeaderChecks.describe(c), i);
      }
      checkSurrogate(localPart, i, "local part");
    }
    checkLocalPartLength(localPart, 0);
  }

  /**
   * Checks a domain given by a caller (Unicode or A-labels, or an address literal) and returns the
   * form to keep: the domain exactly as given, since A-labels are kept as given and U-labels are
   * the Unicode form already.
   *
   * @throws MailFormatException naming the offending character or label and its index
   */
  public static String checkDomain(String domain) {
    if (domain.isEmpty()) {
      throw new MailFormatException("domain is empty", 0);
    }
    if (domain.charAt(0) == '[') {
      int close = domain.indexOf(']');
      if (close < 0) {
        throw new MailFormatException("'[' of the address literal is not closed", 0);
      }
      if (close != domain.length() - 1) {
        throw new MailFormatException("text after the address literal", close + 1);
      }
      checkAddressLiteral(domain, 0, close);
      return domain;
    }
    checkDomainName(domain, 0, domain.length());
    return domain;
  }

  /**
   * Checks a display name given by a caller: no control characters except tab.
   *
   * @throws MailFormatException naming the offending character and its index
   */
  public static void checkDisplayName(String name) {
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c != '\t' && isControl(c)) {
        throw new MailFormatException("display name contains " + HeaderChecks.describe(c), i);
      }
      checkSurrogate(name, i, "display name");
    }
  }

  /**
   * Returns the ASCII form of a validated domain: ASCII labels as given, U-labels converted to
   * A-labels (IDNA2003 ToASCII with STD3 rules, as {@link IDN} implements), address literals as
   * given.
   *
   * @throws MailFormatException when a label cannot be converted
   */
  public static String toAsciiDomain(String domain) {
    if (domain.startsWith("[") || isAscii(domain)) {
      return domain;
    }
    StringBuilder b = new StringBuilder(domain.length() + 16);
    int start = 0;
    while (true) {
      int dot = domain.indexOf('.', start);
      int end = dot < 0 ? domain.length() : dot;
      b.append(asciiLabel(domain, start, end));
      if (dot < 0) {
        return b.toString();
      }
      b.append('.');
      start = dot + 1;
    }
  }

  /** Returns the local part as a dot-atom when it is one, else as a quoted-string. */
  public static String quoteLocalPartIfNeeded(String localPart) {
    return isDotAtom(localPart) ? localPart : quote(localPart, false);
  }

  /**
   * Returns the display name as a phrase of atoms separated by single spaces when it is one, else
   * as a quoted-string. A name that contains {@code =?} is quoted with that {@code =} escaped, so
   * that it is never read back as an RFC 2047 encoded-word. Non-ASCII is left for the MIME writer
   * to encode.
   */
  public static String quoteDisplayNameIfNeeded(String name) {
    boolean looksEncoded = name.contains("=?");
    return !looksEncoded && isAtomPhrase(name) ? name : quote(name, looksEncoded);
  }

  // ---------------------------------------------------------------- character classes

  /** RFC 5322 §3.2.3 atext, extended by RFC 6532 §3.2 with every non-ASCII character. */
  private static boolean isAtext(char c) {
    if (c < 128) {
      return (c >= 'a' && c <= 'z')
          || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9')
          || ATEXT_SPECIALS.indexOf(c) >= 0;
    }
    return !Character.isISOControl(c);
  }

  private static boolean isControl(char c) {
    return Character.isISOControl(c);
  }

  private static boolean isWsp(char c) {
    return c == ' ' || c == '\t';
  }

  private static boolean isAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) > 127) {
        return false;
      }
    }
    return true;
  }

  private static boolean isDotAtom(String s) {
    return isAtomsSeparatedBy(s, '.');
  }

  private static boolean isAtomPhrase(String s) {
    return isAtomsSeparatedBy(s, ' ');
  }

  /** True when {@code s} is one or more runs of atext, each separated by one {@code separator}. */
  private static boolean isAtomsSeparatedBy(String s, char separator) {
    if (s.isEmpty()
        || s.charAt(0) == separator
        || s.charAt(s.length() - 1) == separator
        || s.contains(String.valueOf(new char[] {separator, separator}))) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c != separator && !isAtext(c)) {
        return false;
      }
    }
    return true;
  }

  private static String quote(String s, boolean escapeEncodedWordStart) {
    StringBuilder b = new StringBuilder(s.length() + 8).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean encodedWordStart =
          escapeEncodedWordStart && c == '=' && i + 1 < s.length() && s.charAt(i + 1) == '?';
      if (c == '"' || c == '\\' || encodedWordStart) {
        b.append('\\');
      }
      b.append(c);
    }
    return b.append('"').toString();
  }

  // ---------------------------------------------------------------- whole-input checks

  /**
   * Refuses control characters anywhere, the header-injection guard. The one exception is a fold,
   * CRLF followed by a space or tab (RFC 5322 §3.2.2 FWS), which continues the same field and is
   * read as whitespace.
   */
  private static void checkInputCharacters(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\r' && i + 2 < s.length() && s.charAt(i + 1) == '\n' && isWsp(s.charAt(i + 2))) {
        i += 2;
        continue;
      }
      if (c != '\t' && isControl(c)) {
        String what = c == '\r' || c == '\n' ? ": line breaks are not allowed in an address" : "";
        throw new MailFormatException("address contains " + HeaderChecks.describe(c) + what, i);
      }
      checkSurrogate(s, i, "address");
    }
  }

  private static void checkSurrogate(String s, int i, String what) {
    char c = s.charAt(i);
    if (Character.isHighSurrogate(c)
        && (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1)))) {
      throw new MailFormatException(what + " contains an unpaired surrogate", i);
    }
    if (Character.isLowSurrogate(c) && (i == 0 || !Character.isHighSurrogate(s.charAt(i - 1)))) {
      throw new MailFormatException(what + " contains an unpaired surrogate", i);
    }
  }

  // ---------------------------------------------------------------- part validation

  private static void checkLocalPartLength(String localPart, int index) {
    int octets = quoteLocalPartIfNeeded(localPart).getBytes(StandardCharsets.UTF_8).length;
    if (octets > MAX_LOCAL_PART_OCTETS) {
      throw new MailFormatException(
          "local part is "
              + octets
              + " octets long, more than the "
              + MAX_LOCAL_PART_OCTETS
              + " RFC 5321 allows",
          index);
    }
  }

  /** Checks an unquoted dot-atom local part occupying {@code s[start, end)}. */
  private static void checkDotAtomLocalPart(String s, int start, int end) {
    if (s.charAt(start) == '.') {
      throw new MailFormatException("local part starts with '.'", start);
    }
    if (s.charAt(end - 1) == '.') {
      throw new MailFormatException("local part ends with '.'", end - 1);
    }
    for (int i = start + 1; i < end; i++) {
      if (s.charAt(i) == '.' && s.charAt(i - 1) == '.') {
        throw new MailFormatException("local part contains '..'; quote it if it is meant", i);
      }
    }
  }

  /**
   * Checks a domain name occupying {@code s[start, end)}: labels of letters, digits and hyphens (or
   * U-labels that IDNA accepts), no empty label, no hyphen at either end, at most 63 octets per
   * label and 255 in all in ASCII form, and a top-level label that is not all digits.
   */
  private static void checkDomainName(String s, int start, int end) {
    int asciiLength = 0;
    int labelStart = start;
    String lastAscii = "";
    while (true) {
      int labelEnd = labelStart;
      while (labelEnd < end && s.charAt(labelEnd) != '.') {
        labelEnd++;
      }
      if (labelEnd == labelStart) {
        throw new MailFormatException(
            labelStart == start
                ? "domain starts with '.'"
                : labelEnd == end ? "domain ends with '.'" : "domain contains '..'",
            labelStart == end ? end - 1 : labelStart);
      }
      lastAscii = checkLabel(s, labelStart, labelEnd);
      asciiLength += lastAscii.length() + (labelEnd < end ? 1 : 0);
      if (labelEnd == end) {
        break;
      }
      labelStart = labelEnd + 1;
    }
    if (asciiLength > MAX_DOMAIN_OCTETS) {
      throw new MailFormatException(
          "domain is "
              + asciiLength
              + " octets long in ASCII form, more than the "
              + MAX_DOMAIN_OCTETS
              + " RFC 5321 allows",
          start);
    }
    if (lastAscii.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new MailFormatException(
          "top-level domain '" + lastAscii + "' is all-numeric; write an IP address as [192.0.2.1]",
          labelStart);
    }
  }

  /** Checks one label and returns its ASCII form. */
  private static String checkLabel(String s, int start, int end) {
    boolean ascii = true;
    for (int i = start; i < end; i++) {
      char c = s.charAt(i);
      if (c < 128) {
        boolean ldh =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
        if (!ldh) {
          throw new MailFormatException(
              HeaderChecks.describe(c) + " is not allowed in a domain", i);
        }
      } else if (c == '\u3002' || c == '\uFF0E' || c == '\uFF61') {
        throw new MailFormatException(
            HeaderChecks.describe(c) + " is not allowed in a domain; separate labels with '.'", i);
      } else if (isControl(c)) {
        throw new MailFormatException(HeaderChecks.describe(c) + " is not allowed in a domain", i);
      } else {
        ascii = false;
      }
    }
    if (s.charAt(start) == '-') {
      throw new MailFormatException("domain label starts with '-'", start);
    }
    if (s.charAt(end - 1) == '-') {
      throw new MailFormatException("domain label ends with '-'", end - 1);
    }
    String label = ascii ? s.substring(start, end) : asciiLabel(s, start, end);
    if (label.length() > MAX_LABEL_OCTETS) {
      throw new MailFormatException(
          "domain label is "
              + label.length()
              + " octets long in ASCII form, more than "
              + MAX_LABEL_OCTETS,
          start);
    }
    if (ascii && label.regionMatches(true, 0, "xn--", 0, 4) && IDN.toUnicode(label).equals(label)) {
      // IDN.toUnicode returns its input unchanged when the Punycode does not decode
      throw new MailFormatException("domain label '" + label + "' is not a valid A-label", start);
    }
    return label;
  }

  /** Converts one label with IDNA ToASCII (STD3 rules), failing with the label's index. */
  private static String asciiLabel(String s, int start, int end) {
    String label = s.substring(start, end);
    if (isAscii(label)) {
      return label;
    }
    String ascii;
    try {
      ascii = IDN.toASCII(label, IDN.USE_STD3_ASCII_RULES);
    } catch (IllegalArgumentException e) {
      // IDN reports every failure this way; its reason goes into the message, which is all the
      // caller can act on (MailFormatException has no constructor for index and cause).
      String reason = e.getCause() != null ? e.getCause().getMessage() : e.getMessage();
      throw new MailFormatException(
          "domain label '" + label + "' is not a valid IDNA2003 label: " + reason, start);
    }
    if (ascii.isEmpty() || ascii.indexOf('.') >= 0) {
      throw new MailFormatException(
          "domain label '" + label + "' does not map to one IDNA label", start);
    }
    return ascii;
  }

  /**
   * Checks an address literal {@code s[open] == '['} to {@code s[close] == ']'} (RFC 5321 §4.1.3):
   * an IPv4 dotted quad or {@code IPv6:} with an IPv6 address; general literals with other tags are
   * refused since none is standardized.
   */
  private static void checkAddressLiteral(String s, int open, int close) {
    int start = open + 1;
    for (int i = start; i < close; i++) {
      char c = s.charAt(i);
      if (c <= ' ' || c > 126 || c == '[' || c == '\\') {
        throw new MailFormatException(
            HeaderChecks.describe(c) + " is not allowed in an address literal", i);
      }
    }
    String content = s.substring(start, close);
    if (content.isEmpty()) {
      throw new MailFormatException("address literal is empty", start);
    }
    if (content.regionMatches(true, 0, "IPv6:", 0, 5)) {
      if (!isIpv6(content.substring(5))) {
        throw new MailFormatException(
            "'" + content.substring(5) + "' is not a valid IPv6 address", start + 5);
      }
      return;
    }
    int colon = content.indexOf(':');
    if (colon >= 0) {
      throw new MailFormatException(
          "address literal tag '" + content.substring(0, colon) + "' is not supported; use IPv6:",
          start);
    }
    if (!isIpv4(content)) {
      throw new MailFormatException("'" + content + "' is not a valid IPv4 address", start);
    }
  }

  private static boolean isIpv4(String s) {
    String[] parts = s.split("\\.", -1);
    if (parts.length != 4) {
      return false;
    }
    for (String p : parts) {
      if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
        return false;
      }
      if (Integer.parseInt(p) > 255) {
        return false;
      }
    }
    return true;
  }

  /** RFC 4291 §2.2 text forms: eight groups, one {@code ::}, an IPv4 tail counting as two. */
  private static boolean isIpv6(String s) {
    int gap = s.indexOf("::");
    if (gap >= 0 && s.indexOf("::", gap + 1) >= 0) {
      return false;
    }
    String left = gap >= 0 ? s.substring(0, gap) : s;
    String right = gap >= 0 ? s.substring(gap + 2) : "";
    boolean ipv4TailInLeft = gap < 0;
    int leftGroups = countIpv6Groups(left, ipv4TailInLeft);
    int rightGroups = countIpv6Groups(right, true);
    if (leftGroups < 0 || rightGroups < 0) {
      return false;
    }
    int groups = leftGroups + rightGroups;
    return gap >= 0 ? groups <= 7 : groups == 8;
  }

  /** Returns the number of 16-bit groups in colon-separated hex, or -1 when malformed. */
  private static int countIpv6Groups(String s, boolean ipv4TailAllowed) {
    if (s.isEmpty()) {
      return 0;
    }
    String[] parts = s.split(":", -1);
    int groups = 0;
    for (int i = 0; i < parts.length; i++) {
      String p = parts[i];
      if (ipv4TailAllowed && i == parts.length - 1 && p.indexOf('.') >= 0) {
        if (!isIpv4(p)) {
          return -1;
        }
        groups += 2;
      } else if (p.isEmpty()
          || p.length() > 4
          || !p.chars().allMatch(c -> Character.digit(c, 16) >= 0 && c < 128)) {
        return -1;
      } else {
        groups++;
      }
    }
    return groups;
  }

  // ---------------------------------------------------------------- the parser

  /** Where an address is being read; decides whether a group is allowed. */
  private enum Context {
    SINGLE,
    LIST,
    GROUP_MEMBER
  }

  /** A word of a phrase or local part: an atom (dots allowed, obs-phrase) or a quoted-string. */
  private record Word(
      int start,
      int end,
      String value,
      boolean quoted,
      boolean hasQuotedPair,
      boolean spaceBefore) {}

  /** A cursor over the input; the input has passed {@link #checkInputCharacters}. */
  private static final class Input {
    private final String s;
    private int pos;

    Input(String s) {
      this.s = s;
    }

    boolean atEnd() {
      return pos >= s.length();
    }

    char peek() {
      return s.charAt(pos);
    }

    String unexpected(char c) {
      switch (c) {
        case ')':
          return "')' without a matching '('";
        case '>':
          return "'>' without a matching '<'";
        case ']':
          return "']' without a matching '['";
        default:
          return "unexpected " + HeaderChecks.describe(c);
      }
    }

    /** Skips RFC 5322 CFWS: spaces, tabs, folds and (nested) comments. */
    void skipCfws() {
      while (!atEnd()) {
        char c = peek();
        if (isWsp(c)) {
          pos++;
        } else if (c == '\r') {
          pos += 2; // a fold, CRLF WSP, checked by checkInputCharacters
        } else if (c == '(') {
          skipComment();
        } else {
          return;
        }
      }
    }

    private void skipComment() {
      int open = pos;
      int depth = 0;
      while (!atEnd()) {
        char c = peek();
        if (c == '\\') {
          pos++;
          if (atEnd()) {
            break;
          }
        } else if (c == '(') {
          depth++;
        } else if (c == ')') {
          depth--;
          if (depth == 0) {
            pos++;
            return;
          }
        }
        pos++;
      }
      throw new MailFormatException("comment '(' is not closed with ')'", open);
    }

    /** Reads a quoted-string starting at the current '"'; returns the word, unescaped. */
    Word quotedString(boolean spaceBefore) {
      int open = pos;
      StringBuilder b = new StringBuilder();
      boolean hasQuotedPair = false;
      pos++;
      while (true) {
        if (atEnd()) {
          throw new MailFormatException("quoted string is not closed with '\"'", open);
        }
        char c = peek();
        if (c == '"') {
          pos++;
          return new Word(open, pos, b.toString(), true, hasQuotedPair, spaceBefore);
        }
        if (c == '\\') {
          pos++;
          if (atEnd()) {
            throw new MailFormatException("quoted string is not closed with '\"'", open);
          }
          char e = peek();
          if (e == '\r') {
            throw new MailFormatException("'\\' must not escape a line break", pos);
          }
          b.append(e);
          hasQuotedPair = true;
        } else if (c == '\r') {
          pos++; // fold: CRLF is removed, the WSP that follows is kept (RFC 5322 §3.2.2)
        } else {
          b.append(c);
        }
        pos++;
      }
    }

    /** Reads words separated by CFWS until a character that cannot start a word. */
    List<Word> words() {
      List<Word> words = new ArrayList<>();
      while (true) {
        int before = pos;
        skipCfws();
        boolean space = pos > before;
        if (atEnd()) {
          return words;
        }
        char c = peek();
        if (c == '"') {
          words.add(quotedString(space));
        } else if (c == '.' || isAtext(c)) {
          int start = pos;
          while (!atEnd() && (peek() == '.' || isAtext(peek()))) {
            pos++;
          }
          words.add(new Word(start, pos, s.substring(start, pos), false, false, space));
        } else {
          return words;
        }
      }
    }

    /**
     * Reads a mailbox or, in a list, a group (whose members are added to {@code out}). In a list
     * the mailbox is added to {@code out} and also returned.
     */
    Mailbox address(Context context, List<Mailbox> out) {
      List<Word> words = words();
      if (atEnd()) {
        throw noAddressAfter(words, context);
      }
      char c = peek();
      Mailbox mailbox;
      if (c == '<') {
        String name = displayName(words);
        mailbox = angleAddr(name);
      } else if (c == '@') {
        mailbox = addrSpec(words, null);
      } else if (c == ':') {
        if (words.isEmpty()) {
          throw new MailFormatException("unexpected ':'; a group needs a name before it", pos);
        }
        if (context != Context.LIST) {
          throw new MailFormatException(
              context == Context.SINGLE
                  ? "a group is not a single mailbox"
                  : "groups cannot be nested",
              pos);
        }
        group(displayName(words), out);
        return null;
      } else {
        throw words.isEmpty()
            ? new MailFormatException(unexpected(c) + "; expected an address", pos)
            : noAddressAfter(words, context);
      }
      if (out != null) {
        out.add(mailbox);
      }
      return mailbox;
    }

    /**
     * Builds the error for words that are not followed by '@', '<' or ':'. Inside angle brackets
     * ({@code context} null) the words can only be a local part; in a list a ',' or ';' ends them.
     */
    private MailFormatException noAddressAfter(List<Word> words, Context context) {
      boolean inAngle = context == null;
      boolean separator = context == Context.LIST || context == Context.GROUP_MEMBER;
      boolean ends =
          atEnd() || (separator && (peek() == ',' || peek() == ';')) || (inAngle && peek() == '>');
      if (!ends) {
        return new MailFormatException(unexpected(peek()) + " in the address", pos);
      }
      if (words.isEmpty()) {
        return new MailFormatException("missing address", pos);
      }
      if (words.size() == 1 || inAngle) {
        return new MailFormatException(
            "missing '@' after the local part", words.get(words.size() - 1).end());
      }
      return new MailFormatException(
          "a display name must be followed by an address in '<' '>'", pos);
    }

    /** Reads {@code local@domain} once the words before '@' are read; pos is at '@'. */
    private Mailbox addrSpec(List<Word> words, String displayName) {
      int at = pos;
      if (words.isEmpty()) {
        throw new MailFormatException("missing local part before '@'", at);
      }
      Word first = words.get(0);
      if (words.size() > 1) {
        throw new MailFormatException(
            "local part must be one dot-atom or one quoted string; quote it to use spaces",
            first.end());
      }
      String localPart;
      if (first.quoted()) {
        localPart = first.value();
        if (localPart.isEmpty()) {
          throw new MailFormatException("local part is empty", first.start());
        }
        int tab = localPart.indexOf('\t');
        if (tab >= 0) {
          throw new MailFormatException(
              "a tab is not allowed in a local part", s.indexOf('\t', first.start()));
        }
      } else {
        checkDotAtomLocalPart(s, first.start(), first.end());
        localPart = first.value();
      }
      checkLocalPartLength(localPart, first.start());
      pos++;
      skipCfws();
      String domain = domain();
      return Mailbox.of(displayName, localPart, domain);
    }

    private String domain() {
      int start = pos;
      if (atEnd()) {
        throw new MailFormatException("missing domain after '@'", pos);
      }
      if (peek() == '[') {
        int close = start + 1;
        while (close < s.length() && s.charAt(close) != ']') {
          close++;
        }
        if (close == s.length()) {
          throw new MailFormatException("'[' of the address literal is not closed with ']'", start);
        }
        checkAddressLiteral(s, start, close);
        pos = close + 1;
        return s.substring(start, pos);
      }
      while (!atEnd() && (peek() == '.' || isAtext(peek()))) {
        pos++;
      }
      if (pos == start) {
        throw new MailFormatException(
            "missing domain after '@', found " + HeaderChecks.describe(peek()), pos);
      }
      checkDomainName(s, start, pos);
      return s.substring(start, pos);
    }

    /** Reads {@code <addr-spec>} at the current '<'. */
    private Mailbox angleAddr(String displayName) {
      int open = pos;
      pos++;
      List<Word> words = words();
      if (atEnd()) {
        throw new MailFormatException("'<' is not closed with '>'", open);
      }
      char c = peek();
      if (c == '>' && words.isEmpty()) {
        throw new MailFormatException("empty address in '<>'", pos);
      }
      if (c == '@' && words.isEmpty() && looksLikeRoute()) {
        throw new MailFormatException("source routes (<@host:...>) are not supported", pos);
      }
      if (c != '@') {
        throw words.isEmpty()
            ? new MailFormatException(unexpected(c) + " in '<' '>'", pos)
            : noAddressAfter(words, null);
      }
      Mailbox mailbox = addrSpec(words, displayName);
      skipCfws();
      if (atEnd()) {
        throw new MailFormatException("'<' is not closed with '>'", open);
      }
      if (peek() != '>') {
        throw new MailFormatException(unexpected(peek()) + " in the address; expected '>'", pos);
      }
      pos++;
      return mailbox;
    }

    /** True for an obsolete route, {@code <@relay.example:user@host.example>} (RFC 5322 §4.4). */
    private boolean looksLikeRoute() {
      int colon = s.indexOf(':', pos);
      int at = s.indexOf('@', pos + 1);
      int close = s.indexOf('>', pos);
      return colon > 0 && (at < 0 || colon < at) && (close < 0 || colon < close);
    }

    /** Reads the members of a group after its name; pos is at ':'. */
    private void group(String name, List<Mailbox> out) {
      pos++;
      while (true) {
        skipCfws();
        if (atEnd()) {
          throw new MailFormatException("group '" + name + "' is not closed with ';'", pos);
        }
        char c = peek();
        if (c == ';') {
          pos++;
          return;
        }
        if (c == ',') {
          pos++;
          continue;
        }
        address(Context.GROUP_MEMBER, out);
        skipCfws();
        if (!atEnd() && peek() != ',' && peek() != ';') {
          throw new MailFormatException(
              "expected ',' or ';' in group '" + name + "', found " + HeaderChecks.describe(peek()),
              pos);
        }
      }
    }

    /**
     * Joins phrase words with single spaces, decoding RFC 2047 encoded-words: an atom that is one,
     * or a quoted-string without quoted-pairs that contains one (a common violation of §5).
     * Encoded-words separated only by whitespace are joined without it (§6.2).
     */
    private String displayName(List<Word> words) {
      StringBuilder b = new StringBuilder();
      boolean previousEncoded = false;
      for (int i = 0; i < words.size(); i++) {
        Word w = words.get(i);
        String text = w.value();
        boolean encoded = false;
        if (!w.quoted() && ENCODED_WORD.matcher(text).matches()) {
          String decoded = decodeWord(text);
          encoded = decoded != null;
          text = encoded ? decoded : text;
        } else if (w.quoted() && !w.hasQuotedPair() && text.contains("=?")) {
          text = decodeText(text);
        }
        if (!text.equals(w.value())) {
          checkDecoded(text, w.start());
        }
        if (i > 0 && w.spaceBefore() && !(encoded && previousEncoded)) {
          b.append(' ');
        }
        b.append(text);
        previousEncoded = encoded;
      }
      return b.toString();
    }

    private void checkDecoded(String text, int index) {
      for (int i = 0; i < text.length(); i++) {
        char c = text.charAt(i);
        if (c != '\t' && isControl(c)) {
          throw new MailFormatException(
              "encoded-word in the display name decodes to " + HeaderChecks.describe(c), index);
        }
      }
    }
  }

  /** Returns the decoded word, or null when it cannot be decoded (then it is kept as text). */
  private static String decodeWord(String word) {
    try {
      return MimeUtility.decodeWord(word);
    } catch (jakarta.mail.internet.ParseException | UnsupportedEncodingException e) {
      // An undecodable encoded-word (unknown charset, bad Base64) is shown as the raw text, as
      // RFC 2047 §6.3 suggests; the address itself is unaffected, so nothing is lost.
      return null;
    }
  }

  private static String decodeText(String text) {
    try {
      return MimeUtility.decodeText(text);
    } catch (UnsupportedEncodingException e) {
      // As in decodeWord: keep the raw text (RFC 2047 §6.3).
      return text;
    }
  }
}
