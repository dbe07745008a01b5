package dev.mailcore.internal;

import dev.mailcore.Attachment;
import dev.mailcore.Header;
import dev.mailcore.Mailbox;
import dev.mailcore.Message;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Renders a {@link Message} as RFC 5322 / MIME bytes with CRLF line ends.
 *
 * <p>Why not {@code MimeMessage.writeTo}: Jakarta Mail 2.1 looks its {@code StreamProvider} up
 * through {@code ServiceLoader} for every {@code Multipart} it creates, every part it writes and
 * every {@code MimeUtility.encode/encodeText} call (jakartaee/mail-api #699, #861); for a small
 * message those look-ups cost more than the rendering itself. The MIME structure is simple to
 * write directly, so this class writes the headers and the multipart tree itself and uses the JDK
 * for the two encodings that need care: {@link Base64#getMimeEncoder(int, byte[])} for binary
 * parts (streamed, RFC 2045 §6.8) and base64 encoded-words (RFC 2047 §4.1). Quoted-printable (RFC
 * 2045 §6.7) is a few lines in {@link QuotedPrintable}. Parsing stays with Jakarta Mail ({@link
 * MimeParser}), and the tests check every rendered form by parsing it with plain Jakarta Mail.
 *
 * <p>Attachments are copied from {@link dev.mailcore.Content#open()} while writing, through a
 * fixed-size buffer, so memory use does not grow with the size of the message.
 *
 * <p>Stateless and thread-safe.
 */
public final class MimeRenderer {
  /** RFC 5322 §3.3 date-time; the zone is always written as a numeric offset. */
  static final DateTimeFormatter DATE_FORMAT =
      DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss xx", Locale.US);

  private static final byte[] CRLF = {'\r', '\n'};

  private MimeRenderer() {}

  /**
   * Writes {@code message} to {@code out}, which is flushed but not closed.
   *
   * @throws IOException when writing, or reading an attachment's content, fails
   */
  public static void write(Message message, OutputStream out) throws IOException {
    Objects.requireNonNull(message, "message");
    MimeSink sink = new MimeSink(Objects.requireNonNull(out, "out"));
    HeaderBlock h = new HeaderBlock();
    writeTopHeaders(message, h);
    Node body = bodyTree(message);
    try {
      body.write(sink, h);
    } catch (UncheckedIOException e) {
      // Content.open() reports a failing source unchecked; the caller expects IOException here
      throw e.getCause();
    }
    sink.flush();
  }

  private static void writeTopHeaders(Message m, HeaderBlock h) {
    h.addresses("From", m.from());
    m.sender().ifPresent(s -> h.addresses("Sender", List.of(s)));
    h.addresses("Reply-To", m.replyTo());
    h.addresses("To", m.to());
    h.addresses("Cc", m.cc());
    // Bcc is never written: the recipients travel in the envelope only (RFC 5322 §3.6.3)
    m.subject().ifPresent(s -> h.unstructured("Subject", s));
    m.date().ifPresent(d -> h.raw("Date", DATE_FORMAT.format(d)));
    m.messageId().ifPresent(id -> h.raw("Message-ID", id));
    for (Header header : m.headers()) {
      h.unstructured(header.name(), header.value());
    }
    h.raw("MIME-Version", "1.0");
  }

  /**
   * Chooses the body structure: mixed(alternative(text, related(html, inline parts)),
   * attachments), leaving out each level that has only one member.
   */
  static Node bodyTree(Message m) {
    List<Attachment> related = new ArrayList<>();
    List<Attachment> mixed = new ArrayList<>();
    for (Attachment a : m.attachments()) {
      if (m.html().isPresent() && a.inline() && a.contentId().isPresent()) {
        related.add(a);
      } else {
        mixed.add(a);
      }
    }
    Node text = m.text().map(t -> (Node) new TextNode("text/plain", t)).orElse(null);
    Node html = m.html().map(t -> (Node) new TextNode("text/html", t)).orElse(null);
    if (html != null && !related.isEmpty()) {
      List<Node> children = new ArrayList<>();
      children.add(html);
      related.forEach(a -> children.add(new AttachmentNode(a)));
      html = new MultipartNode("related", "text/html", children);
    }
    Node body;
    if (text != null && html != null) {
      body = new MultipartNode("alternative", null, List.of(text, html));
    } else {
      body = text != null ? text : html;
    }
    if (!mixed.isEmpty()) {
      List<Node> children = new ArrayList<>();
      if (body != null) {
        children.add(body);
      }
      mixed.forEach(a -> children.add(new AttachmentNode(a)));
      body = new MultipartNode("mixed", null, children);
    }
    return body != null ? body : new TextNode("text/plain", "");
  }

  /** One entity of the body tree; writes its own MIME headers after those already in {@code h}. */
  interface Node {
    void write(MimeSink out, HeaderBlock h) throws IOException;
  }

  record TextNode(String type, String text) implements Node {
    @Override
    public void write(MimeSink out, HeaderBlock h) throws IOException {
      h.raw("Content-Type", type + "; charset=UTF-8");
      h.raw("Content-Transfer-Encoding", "quoted-printable");
      h.writeTo(out);
      out.write(CRLF);
      QuotedPrintable.encodeText(text, out);
    }
  }

  record AttachmentNode(Attachment attachment) implements Node {
    @Override
    public void write(MimeSink out, HeaderBlock h) throws IOException {
      Attachment a = attachment;
      StringBuilder type = new StringBuilder(a.contentType());
      a.fileName().ifPresent(n -> HeaderEncoding.appendNameParameter(type, n));
      h.raw("Content-Type", type.toString());
      String base = a.contentType().toLowerCase(Locale.ROOT);
      // RFC 2046 §5.2.1 and §5.1: message and multipart entities are never base64-encoded,
      // and readers (Jakarta Mail included) ignore such an encoding, so they go as they are
      boolean raw = base.startsWith("message/") || base.startsWith("multipart/");
      h.raw("Content-Transfer-Encoding", raw ? "8bit" : "base64");
      StringBuilder disposition = new StringBuilder(a.inline() ? "inline" : "attachment");
      a.fileName().ifPresent(n -> HeaderEncoding.appendFilename(disposition, n));
      h.raw("Content-Disposition", disposition.toString());
      a.contentId().ifPresent(id -> h.raw("Content-ID", "<" + id + ">"));
      h.writeTo(out);
      out.write(CRLF);
      OutputStream target = raw ? out.unclosable() : Base64.getMimeEncoder(76, CRLF).wrap(out.unclosable());
      try (InputStream in = a.content().open()) {
        in.transferTo(target);
      }
      target.close(); // the encoder writes its final group; the sink itself stays open
    }
  }

  record MultipartNode(String subtype, String relatedType, List<Node> children) implements Node {
    @Override
    public void write(MimeSink out, HeaderBlock h) throws IOException {
      // "=_" never occurs in base64 or quoted-printable output, so the boundary cannot collide
      // with content (RFC 2045 §6.7 rule 1 encodes '=', base64 has neither '=' mid-stream nor '_')
      String boundary =
          "=_mc_" + subtype.charAt(0) + Long.toHexString(ThreadLocalRandom.current().nextLong());
      StringBuilder type = new StringBuilder("multipart/").append(subtype).append(';');
      if (relatedType != null) {
        type.append(" type=\"").append(relatedType).append("\";");
      }
      type.append("\r\n boundary=\"").append(boundary).append('"');
      h.raw("Content-Type", type.toString());
      h.writeTo(out);
      out.write(CRLF);
      byte[] delimiter = ("--" + boundary).getBytes(StandardCharsets.US_ASCII);
      for (Node child : children) {
        out.write(delimiter);
        out.write(CRLF);
        child.write(out, new HeaderBlock());
        out.write(CRLF);
      }
      out.write(delimiter);
      out.write('-');
      out.write('-');
      out.write(CRLF);
    }
  }

  /** Header fields collected for one entity, written as UTF-8 (RFC 6532) with CRLF ends. */
  static final class HeaderBlock {
    private final StringBuilder sb = new StringBuilder(512);

    /** Writes a value that is known to be ASCII and safe (dates, ids, MIME parameters). */
    void raw(String name, String value) {
      sb.append(name).append(": ").append(value).append("\r\n");
    }

    /** Writes free text (RFC 5322 §3.2.5), encoding it (RFC 2047) when it is not plain ASCII. */
    void unstructured(String name, String value) {
      if (HeaderEncoding.needsEncoding(value)) {
        Folder f = new Folder(sb, name);
        HeaderEncoding.encodedWords(value, f);
        f.end();
        return;
      }
      sb.append(name).append(": ");
      int column = name.length() + 2;
      int start = 0;
      int n = value.length();
      while (start < n) {
        int end = start + 1;
        while (end < n && !isWsp(value.charAt(end))) {
          end++;
        }
        // folding inserts CRLF before existing white space, so unfolding restores the value
        if (start > 0 && column + (end - start) > 78) {
          sb.append("\r\n");
          column = 0;
        }
        sb.append(value, start, end);
        column += end - start;
        start = end;
      }
      sb.append("\r\n");
    }

    /** Writes an address list; nothing at all when the list is empty. */
    void addresses(String name, List<Mailbox> mailboxes) {
      if (mailboxes.isEmpty()) {
        return;
      }
      Folder f = new Folder(sb, name);
      for (int i = 0; i < mailboxes.size(); i++) {
        Mailbox m = mailboxes.get(i);
        String addr = HeaderEncoding.localPart(m.localPart()) + "@" + m.asciiDomain();
        String comma = i < mailboxes.size() - 1 ? "," : "";
        if (m.displayName().isPresent()) {
          HeaderEncoding.phrase(m.displayName().get(), f);
          f.word("<" + addr + ">" + comma);
        } else {
          f.word(addr + comma);
        }
      }
      f.end();
    }

    void writeTo(MimeSink out) throws IOException {
      out.writeUtf8(sb);
    }
  }

  /** Lays out words separated by single spaces, folding lines at about 78 characters. */
  static final class Folder {
    private final StringBuilder sb;
    private final int start;
    private int column;

    Folder(StringBuilder sb, String name) {
      this.sb = sb;
      sb.append(name).append(':');
      this.column = name.length() + 1;
      this.start = column;
    }

    void word(String w) {
      if (column > start && column + 1 + w.length() > 78) {
        sb.append("\r\n ");
        column = 1;
      } else {
        sb.append(' ');
        column++;
      }
      sb.append(w);
      column += w.length();
    }

    void end() {
      sb.append("\r\n");
    }
  }

  static boolean isWsp(char c) {
    return c == ' ' || c == '\t';
  }
}
