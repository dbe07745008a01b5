package dev.mailcore.internal;

import dev.mailcore.Attachment;
import dev.mailcore.Content;
import dev.mailcore.Header;
import dev.mailcore.MailFormatException;
import dev.mailcore.Mailbox;
import dev.mailcore.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MailDateFormat;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.internet.MimePart;
import jakarta.mail.internet.MimePartDataSource;
import jakarta.mail.internet.MimeUtility;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.io.UnsupportedEncodingException;
import java.net.IDN;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads RFC 5322 / MIME input into a {@link Message} through Jakarta Mail's {@link MimeMessage}.
 *
 * <p>Tolerant by design: whatever a field or part gets wrong is repaired or left out, and the
 * rest of the message is kept. Each repair is counted by reason and logged once per message at
 * DEBUG. Line breaks of the text bodies are returned as {@code \n}.
 *
 * <p>Stateless and thread-safe.
 */
public final class MimeParser {
  private static final Logger LOG = LoggerFactory.getLogger(MimeParser.class);

  /**
   * One session for every parse: {@code Session.getInstance} reads the provider files each time.
   * It carries only the UTF-8 header switch (RFC 6532) and is never used to connect.
   */
  private static final Session SESSION = newSession();

  private static final Pattern ENCODED_WORD_CHARSET = Pattern.compile("=\\?([^?*]+)(\\*[^?]*)?\\?([bBqQ])\\?");

  private MimeParser() {}

  /**
   * Parses one message.
   *
   * @throws MailFormatException when the input has no header fields, so is not a message
   * @throws UncheckedIOException when reading fails
   */
  public static Message parse(InputStream in) {
    return StreamProviderLookup.run(() -> read(in));
  }

  private static Message read(InputStream in) {
    MimeMessage mime;
    try {
      mime = new MimeMessage(SESSION, in);
    } catch (MessagingException e) {
      if (e.getCause() instanceof IOException io) {
        throw new UncheckedIOException("cannot read message", io);
      }
      throw new MailFormatException("cannot parse message: " + e.getMessage(), e);
    }
    return new Reading(mime).message();
  }

  /** The state of one parse: the builder and the tally of what had to be repaired. */
  private static final class Reading {
    private final MimeMessage mime;
    private final Message.Builder builder = Message.builder().fillMissingHeaders(false);
    private final Map<String, Integer> repairs = new TreeMap<>();
    private final List<Mailbox> from = new ArrayList<>();
    private boolean hasSender;
    private boolean hasSubject;
    private boolean hasDate;
    private boolean hasMessageId;
    private String text;
    private String html;

    Reading(MimeMessage mime) {
      this.mime = mime;
    }

    Message message() {
      List<jakarta.mail.Header> fields;
      try {
        fields = Collections.list(mime.getAllHeaders());
      } catch (MessagingException e) {
        throw new MailFormatException("cannot read the header fields: " + e.getMessage(), e);
      }
      int valid = 0;
      for (jakarta.mail.Header field : fields) {
        if (field.getValue() == null) {
          repair("header line without a colon");
          continue;
        }
        valid++;
        header(field.getName(), unfold(field.getValue()));
      }
      if (valid == 0) {
        throw new MailFormatException("the input has no header fields, so it is not a message", -1);
      }
      body(mime, false);
      from.forEach(builder::from);
      if (from.size() > 1 && !hasSender) {
        // RFC 5322 §3.6.2 requires a Sender then; the first author is the best guess
        builder.sender(from.get(0));
        repair("several From mailboxes without Sender");
      }
      if (text != null) {
        builder.text(text);
      }
      if (html != null) {
        builder.html(html);
      }
      if (!repairs.isEmpty()) {
        LOG.debug("parsed message with repairs {}", repairs);
      }
      return builder.build();
    }

    private void header(String name, String value) {
      switch (name.toLowerCase(Locale.ROOT)) {
        case "from" -> addresses(value, from::add);
        case "sender" -> addresses(value, m -> {
          if (!hasSender) {
            builder.sender(m);
            hasSender = true;
          }
        });
        case "reply-to" -> addresses(value, builder::replyTo);
        case "to" -> addresses(value, builder::to);
        case "cc" -> addresses(value, builder::cc);
        case "bcc" -> addresses(value, builder::bcc);
        case "subject" -> {
          if (!hasSubject) {
            builder.subject(sanitize(decodeText(value)));
            hasSubject = true;
          }
        }
        case "date" -> date(value);
        case "message-id" -> messageId(value);
        default -> {
          if (Message.isReservedHeader(name)) {
            return; // MIME-Version and the Content-* fields describe the body read below
          }
          other(name, value);
        }
      }
    }

    private void other(String name, String value) {
      try {
        HeaderChecks.checkName(name);
      } catch (MailFormatException e) {
        repair("invalid header name");
        return;
      }
      builder.header(name, sanitize(decodeText(value)));
    }

    private void addresses(String value, Consumer<Mailbox> sink) {
      InternetAddress[] parsed;
      try {
        parsed = InternetAddress.parseHeader(value, false);
      } catch (AddressException e) {
        repair("unparseable address list");
        return;
      }
      for (InternetAddress a : parsed) {
        if (a.isGroup()) {
          try {
            for (InternetAddress member : a.getGroup(false)) {
              mailbox(member).ifPresent(sink);
            }
          } catch (AddressException e) {
            repair("unparseable group");
          }
        } else {
          mailbox(a).ifPresent(sink);
        }
      }
    }

    private Optional<Mailbox> mailbox(InternetAddress a) {
      String address = a.getAddress();
      int at = address == null ? -1 : address.lastIndexOf('@');
      if (at < 1 || at == address.length() - 1) {
        repair("address without local part or domain");
        return Optional.empty();
      }
      String local = unquote(address.substring(0, at));
      String domain = IDN.toUnicode(address.substring(at + 1), IDN.ALLOW_UNASSIGNED);
      String personal = a.getPersonal();
      if (personal != null && personal.contains("=?")) {
        // Jakarta returns the encoded form when a charset is unknown; retry with the fallback
        personal = decodeText(personal);
      }
      try {
        return Optional.of(Mailbox.of(personal == null ? null : sanitize(personal), local, domain));
      } catch (MailFormatException e) {
        repair("invalid address");
        return Optional.empty();
      }
    }

    private void date(String value) {
      if (hasDate) {
        return;
      }
      Optional<OffsetDateTime> d = parseDate(value);
      if (d.isPresent()) {
        builder.date(d.get());
        hasDate = true;
      } else {
        repair("unparseable Date");
      }
    }

    private void messageId(String value) {
      if (hasMessageId) {
        return;
      }
      String v = value.trim();
      int open = v.indexOf('<');
      int close = v.indexOf('>', open + 1);
      if (open >= 0 && close > open) {
        v = v.substring(open + 1, close);
      }
      try {
        builder.messageId(v);
        hasMessageId = true;
      } catch (MailFormatException e) {
        repair("invalid Message-ID");
      }
    }

    /** Walks the body tree; {@code relatedRoot} marks the first part of a multipart/related. */
    private void body(MimePart part, boolean relatedRoot) {
      ContentType type = contentType(part);
      String base = type.getBaseType().toLowerCase(Locale.ROOT);
      if (base.startsWith("multipart/")) {
        try {
          MimeMultipart multipart = new MimeMultipart(new MimePartDataSource(part));
          int count = multipart.getCount();
          for (int i = 0; i < count; i++) {
            body((MimePart) multipart.getBodyPart(i), i == 0 && base.equals("multipart/related"));
          }
          return;
        } catch (MessagingException e) {
          // a multipart that cannot be split is kept whole, as an attachment of its raw bytes
          repair("unparseable multipart");
          base = "application/octet-stream";
        }
      }
      leaf(part, type, base, relatedRoot);
    }

    private void leaf(MimePart part, ContentType type, String base, boolean relatedRoot) {
      String disposition = disposition(part);
      String fileName = fileName(part);
      String contentId = contentId(part);
      boolean textual = base.equals("text/plain") || base.equals("text/html");
      boolean body = textual
          && !"attachment".equals(disposition)
          && fileName == null
          && (contentId == null || relatedRoot);
      if (body && base.equals("text/plain") && text == null) {
        text = decodeBody(part, type);
      } else if (body && base.equals("text/html") && html == null) {
        html = decodeBody(part, type);
      } else {
        boolean inline = "inline".equals(disposition) || (disposition == null && contentId != null);
        builder.attach(new Attachment(Optional.ofNullable(fileName), base, inline,
            Optional.ofNullable(contentId), Content.ofBytes(bytes(part))));
      }
    }

    private ContentType contentType(MimePart part) {
      String raw = null;
      try {
        raw = part.getContentType();
        return new ContentType(raw);
      } catch (MessagingException e) {
        repair("unparseable Content-Type");
        String base = raw == null ? "" : raw.split(";", 2)[0].trim();
        try {
          return new ContentType(base.indexOf('/') > 0 ? base : "application/octet-stream");
        } catch (MessagingException again) {
          return new ContentType("application", "octet-stream", null);
        }
      }
    }

    private String disposition(MimePart part) {
      try {
        String d = part.getDisposition();
        return d == null ? null : d.toLowerCase(Locale.ROOT);
      } catch (MessagingException e) {
        repair("unparseable Content-Disposition");
        return null;
      }
    }

    private String fileName(MimePart part) {
      String name;
      try {
        name = part.getFileName(); // RFC 2231 parameters are decoded by Jakarta Mail
      } catch (MessagingException e) {
        repair("unparseable file name");
        return null;
      }
      if (name == null) {
        return null;
      }
      String decoded = sanitize(decodeText(name)); // the widespread RFC 2047 form of "name"
      return decoded.isEmpty() ? null : decoded;
    }

    private String contentId(MimePart part) {
      String id;
      try {
        id = part.getContentID();
      } catch (MessagingException e) {
        repair("unreadable Content-ID");
        return null;
      }
      if (id == null) {
        return null;
      }
      id = id.trim();
      if (id.startsWith("<") && id.endsWith(">")) {
        id = id.substring(1, id.length() - 1).trim();
      }
      if (id.isEmpty() || id.contains("<") || id.contains(">") || id.contains(" ")
          || !isValidValue(id)) {
        repair("invalid Content-ID");
        return null;
      }
      return id;
    }

    /** Returns the decoded bytes; a broken transfer encoding falls back to what can be read. */
    private byte[] bytes(MimePart part) {
      try (InputStream in = part.getInputStream()) {
        return in.readAllBytes();
      } catch (IOException | MessagingException e) {
        repair("broken transfer encoding");
      }
      byte[] raw = raw(part);
      String encoding = null;
      try {
        encoding = part.getEncoding();
      } catch (MessagingException e) {
        repair("unreadable Content-Transfer-Encoding");
      }
      return encoding != null && encoding.trim().equalsIgnoreCase("base64")
          ? lenientBase64(raw)
          : raw;
    }

    private byte[] raw(MimePart part) {
      try (InputStream in = rawStream(part)) {
        return in.readAllBytes();
      } catch (IOException | MessagingException e) {
        // the bytes are already in memory (MimeMessage reads all input), so this cannot happen
        // short of a bug; keep the part as empty rather than lose the rest of the message
        repair("unreadable part");
        return new byte[0];
      }
    }

    private String decodeBody(MimePart part, ContentType type) {
      byte[] bytes = bytes(part);
      Charset cs = charset(type.getParameter("charset"), bytes);
      String s = new String(bytes, cs);
      return s.indexOf('\r') < 0 ? s : s.replace("\r\n", "\n").replace('\r', '\n');
    }

    /** RFC 2046 §4.1.2 says US-ASCII when absent; real mail means UTF-8 or Latin-1 then. */
    private Charset charset(String name, byte[] bytes) {
      Charset declared = null;
      if (name != null) {
        try {
          declared = Charset.forName(MimeUtility.javaCharset(name.trim()));
        } catch (IllegalArgumentException e) {
          repair("unknown charset");
          return StandardCharsets.ISO_8859_1;
        }
      }
      if (declared != null && !declared.equals(StandardCharsets.US_ASCII)) {
        return declared;
      }
      try {
        StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes));
        return StandardCharsets.UTF_8;
      } catch (CharacterCodingException e) {
        repair("8-bit text without a charset");
        return StandardCharsets.ISO_8859_1;
      }
    }

    /** Decodes RFC 2047 encoded-words; unknown charsets are read as ISO-8859-1, broken words kept. */
    private String decodeText(String raw) {
      if (!raw.contains("=?")) {
        return raw;
      }
      try {
        return MimeUtility.decodeText(raw);
      } catch (UnsupportedEncodingException e) {
        repair("unknown charset in encoded-word");
      }
      Matcher m = ENCODED_WORD_CHARSET.matcher(raw);
      StringBuilder sb = new StringBuilder();
      while (m.find()) {
        String cs = m.group(1);
        String replacement = Charset.isSupported(safeJavaCharset(cs)) ? m.group() : "=?ISO-8859-1?" + m.group(3) + "?";
        m.appendReplacement(sb, Matcher.quoteReplacement(replacement));
      }
      m.appendTail(sb);
      try {
        return MimeUtility.decodeText(sb.toString());
      } catch (UnsupportedEncodingException e) {
        return raw;
      }
    }

    private void repair(String reason) {
      repairs.merge(reason, 1, Integer::sum);
    }

    /** Replaces control characters (a decoded =0D=0A, a stray NUL) by spaces (RFC 5322 §2.2). */
    private String sanitize(String s) {
      if (isValidValue(s)) {
        return s;
      }
      repair("control characters replaced");
      StringBuilder b = new StringBuilder(s.length());
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        b.append((c < 32 && c != '\t') || c == 127 ? ' ' : c);
      }
      return b.toString();
    }
  }

  private static InputStream rawStream(MimePart part) throws MessagingException {
    if (part instanceof MimeMessage m) {
      return m.getRawInputStream();
    }
    return ((jakarta.mail.internet.MimeBodyPart) part).getRawInputStream();
  }

  private static String safeJavaCharset(String mime) {
    try {
      return MimeUtility.javaCharset(mime);
    } catch (IllegalArgumentException e) {
      return "x-invalid";
    }
  }

  private static boolean isValidValue(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if ((c < 32 && c != '\t') || c == 127) {
        return false;
      }
    }
    return true;
  }

  /** Removes the CRLF (or bare LF / CR) of folded lines, keeping the white space (RFC 5322 §2.2.3). */
  static String unfold(String value) {
    if (value.indexOf('\n') < 0 && value.indexOf('\r') < 0) {
      return value;
    }
    StringBuilder b = new StringBuilder(value.length());
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '\r' || c == '\n') {
        continue;
      }
      b.append(c);
    }
    return b.toString();
  }

  /** Removes the quotes of a quoted local part: {@code "a b"} to {@code a b}. */
  static String unquote(String local) {
    if (local.length() < 2 || local.charAt(0) != '"' || local.charAt(local.length() - 1) != '"') {
      return local;
    }
    StringBuilder b = new StringBuilder(local.length());
    for (int i = 1; i < local.length() - 1; i++) {
      char c = local.charAt(i);
      if (c == '\\' && i + 1 < local.length() - 1) {
        c = local.charAt(++i);
      }
      b.append(c);
    }
    return b.toString();
  }

  /**
   * Parses an RFC 5322 §3.3 date, ignoring comments and tolerating what real mail does (missing
   * day of week, obsolete zone names); returns empty when nothing sensible can be read.
   */
  static Optional<OffsetDateTime> parseDate(String value) {
    String v = value.replaceAll("\\([^)]*\\)", " ").replaceAll("\\s+", " ").trim();
    try {
      return Optional.of(OffsetDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME));
    } catch (DateTimeParseException e) {
      // fall through to Jakarta's lenient parser, which knows the obsolete forms
    }
    try {
      Date d = new MailDateFormat().parse(v);
      return d == null ? Optional.empty() : Optional.of(d.toInstant().atOffset(ZoneOffset.UTC));
    } catch (java.text.ParseException e) {
      return Optional.empty();
    }
  }

  /** Decodes base64 that a strict decoder refused: non-alphabet characters and a torn tail dropped. */
  static byte[] lenientBase64(byte[] raw) {
    StringBuilder b = new StringBuilder(raw.length);
    for (byte x : raw) {
      char c = (char) (x & 0xFF);
      if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
          || c == '+' || c == '/') {
        b.append(c);
      }
    }
    if (b.length() % 4 == 1) {
      b.setLength(b.length() - 1); // a single leftover character carries no whole byte
    }
    while (b.length() % 4 != 0) {
      b.append('=');
    }
    return Base64.getDecoder().decode(b.toString());
  }

  private static Session newSession() {
    Properties p = new Properties();
    p.setProperty("mail.mime.allowutf8", "true");
    return Session.getInstance(p);
  }
}
