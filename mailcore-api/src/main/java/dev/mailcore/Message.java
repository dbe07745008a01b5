package dev.mailcore;

import dev.mailcore.internal.HeaderChecks;
import dev.mailcore.internal.MimeParser;
import dev.mailcore.internal.MimeRenderer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * An e-mail message: header fields plus a body of text, HTML (sent with the text as its
 * alternative), attachments and inline parts.
 *
 * <p>Immutable and thread-safe. Content of attachments is read only when the message is written,
 * so a message with a large file attached stays small in memory. Bcc recipients belong to the
 * {@link Envelope} ({@link Envelope#of(Message)}); {@link #writeTo} never writes a Bcc header.
 *
 * <pre>{@code
 * Message m = Message.builder()
 *     .from("Ana <ana@shop.example>")
 *     .to("bob@example.org")
 *     .subject("Olá")
 *     .text("Hello")
 *     .html("<p>Hello</p>")
 *     .attach(Path.of("invoice.pdf"))
 *     .build();
 * }</pre>
 *
 * @since 0.1
 */
public final class Message {
  /** Header names the builder manages itself; {@link Builder#header} refuses them. */
  static final Set<String> RESERVED_HEADERS =
      Set.of(
          "from", "sender", "reply-to", "to", "cc", "bcc", "subject", "message-id", "date",
          "mime-version", "content-type", "content-transfer-encoding", "content-disposition");

  private final List<Mailbox> from;
  private final Mailbox sender;
  private final List<Mailbox> replyTo;
  private final List<Mailbox> to;
  private final List<Mailbox> cc;
  private final List<Mailbox> bcc;
  private final String subject;
  private final String text;
  private final String html;
  private final List<Attachment> attachments;
  private final List<Header> headers;
  private final String messageId;
  private final OffsetDateTime date;

  private Message(Builder b) {
    this.from = List.copyOf(b.from);
    this.sender = b.sender;
    this.replyTo = List.copyOf(b.replyTo);
    this.to = List.copyOf(b.to);
    this.cc = List.copyOf(b.cc);
    this.bcc = List.copyOf(b.bcc);
    this.subject = b.subject;
    this.text = b.text;
    this.html = b.html;
    this.attachments = List.copyOf(b.attachments);
    this.headers = List.copyOf(b.headers);
    this.messageId = b.messageId;
    this.date = b.date;
  }

  /**
   * Returns true when {@code name} is a header field the builder manages through its own methods
   * (From, To, Subject, Date, Content-Type...), so {@link Builder#header} refuses it.
   */
  public static boolean isReservedHeader(String name) {
    return RESERVED_HEADERS.contains(Objects.requireNonNull(name, "name").toLowerCase(Locale.ROOT));
  }

  /** Returns a new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns a builder holding a copy of this message's fields. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.from.addAll(from);
    b.sender = sender;
    b.replyTo.addAll(replyTo);
    b.to.addAll(to);
    b.cc.addAll(cc);
    b.bcc.addAll(bcc);
    b.subject = subject;
    b.text = text;
    b.html = html;
    b.attachments.addAll(attachments);
    b.headers.addAll(headers);
    b.messageId = messageId;
    b.date = date;
    return b;
  }

  /**
   * Reads a message in RFC 5322 / MIME form. Tolerant of real-world oddities: bare LF line ends,
   * a missing MIME-Version, unknown charsets (decoded as ISO-8859-1 rather than failing), broken
   * encoded words. The first text/plain and text/html parts become {@link #text()} and {@link
   * #html()}; every other leaf part becomes an {@link Attachment} held in memory. Line breaks of
   * the text and HTML bodies are returned as {@code \n}.
   *
   * @throws MailFormatException when the input is not a message at all
   * @throws UncheckedIOException when reading fails
   */
  public static Message parse(InputStream in) {
    return MimeParser.parse(Objects.requireNonNull(in, "in"));
  }

  /**
   * Writes the message in RFC 5322 / MIME form with CRLF line ends, without a Bcc header.
   * Attachments are streamed from their sources.
   *
   * @throws UncheckedIOException when writing or reading an attachment fails
   */
  public void writeTo(OutputStream out) {
    try {
      MimeRenderer.write(this, Objects.requireNonNull(out, "out"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write message", e);
    }
  }

  /** Returns the From mailboxes (usually one). */
  public List<Mailbox> from() {
    return from;
  }

  /** Returns the Sender, when set. */
  public Optional<Mailbox> sender() {
    return Optional.ofNullable(sender);
  }

  /** Returns the Reply-To mailboxes. */
  public List<Mailbox> replyTo() {
    return replyTo;
  }

  /** Returns the To recipients. */
  public List<Mailbox> to() {
    return to;
  }

  /** Returns the Cc recipients. */
  public List<Mailbox> cc() {
    return cc;
  }

  /** Returns the Bcc recipients; they go into the envelope, never into the written headers. */
  public List<Mailbox> bcc() {
    return bcc;
  }

  /** Returns the subject, decoded. */
  public Optional<String> subject() {
    return Optional.ofNullable(subject);
  }

  /** Returns the plain-text body. */
  public Optional<String> text() {
    return Optional.ofNullable(text);
  }

  /** Returns the HTML body. */
  public Optional<String> html() {
    return Optional.ofNullable(html);
  }

  /** Returns attachments and inline parts, in order. */
  public List<Attachment> attachments() {
    return attachments;
  }

  /** Returns the other header fields, in order, values decoded. */
  public List<Header> headers() {
    return headers;
  }

  /** Returns the values of the other header fields named {@code name}, ignoring case. */
  public List<String> headers(String name) {
    return headers.stream().filter(h -> h.is(name)).map(Header::value).toList();
  }

  /** Returns the Message-ID with its angle brackets, such as {@code <abc@shop.example>}. */
  public Optional<String> messageId() {
    return Optional.ofNullable(messageId);
  }

  /** Returns the Date. */
  public Optional<OffsetDateTime> date() {
    return Optional.ofNullable(date);
  }

  /** Returns true when an address needs SMTPUTF8 (a non-ASCII local part, RFC 6531). */
  public boolean needsSmtpUtf8() {
    return from.stream().anyMatch(Mailbox::needsSmtpUtf8)
        || to.stream().anyMatch(Mailbox::needsSmtpUtf8)
        || cc.stream().anyMatch(Mailbox::needsSmtpUtf8)
        || bcc.stream().anyMatch(Mailbox::needsSmtpUtf8)
        || replyTo.stream().anyMatch(Mailbox::needsSmtpUtf8)
        || (sender != null && sender.needsSmtpUtf8());
  }

  @Override
  public String toString() {
    return "Message{" + messageId + ", from=" + from + ", to=" + to + ", subject=" + subject + "}";
  }

  /**
   * Builds a {@link Message}. Each method validates its argument at once; {@link #build()} checks
   * the rules across fields. Not thread-safe.
   */
  public static final class Builder {
    private final List<Mailbox> from = new ArrayList<>();
    private Mailbox sender;
    private final List<Mailbox> replyTo = new ArrayList<>();
    private final List<Mailbox> to = new ArrayList<>();
    private final List<Mailbox> cc = new ArrayList<>();
    private final List<Mailbox> bcc = new ArrayList<>();
    private String subject;
    private String text;
    private String html;
    private final List<Attachment> attachments = new ArrayList<>();
    private final List<Header> headers = new ArrayList<>();
    private String messageId;
    private OffsetDateTime date;
    private boolean fillHeaders = true;
    private Clock clock = Clock.systemDefaultZone();

    private Builder() {}

    /**
     * Adds a From mailbox, parsed.
     *
     * @throws MailFormatException when the address is invalid
     */
    public Builder from(String address) {
      return from(Mailbox.parse(address));
    }

    /** Adds a From mailbox. */
    public Builder from(Mailbox mailbox) {
      from.add(Objects.requireNonNull(mailbox, "mailbox"));
      return this;
    }

    /** Sets the Sender (the agent that sent on behalf of From). */
    public Builder sender(Mailbox mailbox) {
      this.sender = Objects.requireNonNull(mailbox, "mailbox");
      return this;
    }

    /**
     * Adds Reply-To mailboxes, parsed as an address list.
     *
     * @throws MailFormatException when an address is invalid
     */
    public Builder replyTo(String addresses) {
      replyTo.addAll(Mailbox.parseList(addresses));
      return this;
    }

    /** Adds a Reply-To mailbox. */
    public Builder replyTo(Mailbox mailbox) {
      replyTo.add(Objects.requireNonNull(mailbox, "mailbox"));
      return this;
    }

    /**
     * Adds To recipients, parsed as an address list ({@code "a@x.example, B <b@y.example>"}).
     *
     * @throws MailFormatException when an address is invalid
     */
    public Builder to(String addresses) {
      to.addAll(Mailbox.parseList(addresses));
      return this;
    }

    /** Adds a To recipient. */
    public Builder to(Mailbox mailbox) {
      to.add(Objects.requireNonNull(mailbox, "mailbox"));
      return this;
    }

    /**
     * Adds Cc recipients, parsed as an address list.
     *
     * @throws MailFormatException when an address is invalid
     */
    public Builder cc(String addresses) {
      cc.addAll(Mailbox.parseList(addresses));
      return this;
    }

    /** Adds a Cc recipient. */
    public Builder cc(Mailbox mailbox) {
      cc.add(Objects.requireNonNull(mailbox, "mailbox"));
      return this;
    }

    /**
     * Adds Bcc recipients, parsed as an address list.
     *
     * @throws MailFormatException when an address is invalid
     */
    public Builder bcc(String addresses) {
      bcc.addAll(Mailbox.parseList(addresses));
      return this;
    }

    /** Adds a Bcc recipient. */
    public Builder bcc(Mailbox mailbox) {
      bcc.add(Objects.requireNonNull(mailbox, "mailbox"));
      return this;
    }

    /** Removes all To, Cc and Bcc recipients. */
    public Builder clearRecipients() {
      to.clear();
      cc.clear();
      bcc.clear();
      return this;
    }

    /**
     * Sets the subject; non-ASCII text is encoded when written.
     *
     * @throws MailFormatException when it contains CR, LF or control characters
     */
    public Builder subject(String subject) {
      HeaderChecks.checkValue("Subject", Objects.requireNonNull(subject, "subject"));
      this.subject = subject;
      return this;
    }

    /** Sets the plain-text body. */
    public Builder text(String text) {
      this.text = Objects.requireNonNull(text, "text");
      return this;
    }

    /** Sets the HTML body; with a text body the two are sent as multipart/alternative. */
    public Builder html(String html) {
      this.html = Objects.requireNonNull(html, "html");
      return this;
    }

    /** Adds an attachment or inline part. */
    public Builder attach(Attachment attachment) {
      attachments.add(Objects.requireNonNull(attachment, "attachment"));
      return this;
    }

    /** Attaches a file, read only when the message is written. */
    public Builder attach(Path file) {
      return attach(Attachment.of(Objects.requireNonNull(file, "file")));
    }

    /** Attaches bytes under a file name. */
    public Builder attach(String fileName, String contentType, byte[] bytes) {
      return attach(Attachment.of(fileName, contentType, bytes));
    }

    /** Adds an inline part that the HTML refers to as {@code cid:<contentId>}. */
    public Builder inline(String contentId, String contentType, Content content) {
      return attach(Attachment.inline(contentId, contentType, content));
    }

    /** Removes all attachments and inline parts. */
    public Builder clearAttachments() {
      attachments.clear();
      return this;
    }

    /**
     * Adds a header field. The fields the builder manages (From, To, Subject, Content-Type...)
     * have their own methods and are refused here.
     *
     * @throws MailFormatException when the name or value is invalid (CR, LF, control characters)
     * @throws IllegalArgumentException when the name is one the builder manages
     */
    public Builder header(String name, String value) {
      Header h = new Header(name, value);
      if (RESERVED_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
        throw new IllegalArgumentException(
            name + " is set through its own builder method, not header()");
      }
      headers.add(h);
      return this;
    }

    /** Removes every header field named {@code name} that {@link #header} added. */
    public Builder removeHeader(String name) {
      headers.removeIf(h -> h.is(name));
      return this;
    }

    /**
     * Sets the Message-ID, with or without angle brackets.
     *
     * @throws MailFormatException when it is not of the form {@code left@right}
     */
    public Builder messageId(String id) {
      Objects.requireNonNull(id, "id");
      String bare = id.startsWith("<") && id.endsWith(">") ? id.substring(1, id.length() - 1) : id;
      HeaderChecks.checkValue("Message-ID", bare);
      int at = bare.indexOf('@');
      if (at < 1 || at == bare.length() - 1 || bare.contains(" ") || bare.contains("<") || bare.contains(">")) {
        throw new MailFormatException("Message-ID must look like left@right: " + bare, Math.max(at, 0));
      }
      this.messageId = "<" + bare + ">";
      return this;
    }

    /** Sets the Date. */
    public Builder date(OffsetDateTime date) {
      this.date = Objects.requireNonNull(date, "date");
      return this;
    }

    /** Sets the clock that {@link #build()} reads when it fills a missing Date. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Chooses whether {@link #build()} fills a missing Message-ID and Date (default true). Parsers
     * turn it off to keep a message exactly as read.
     */
    public Builder fillMissingHeaders(boolean fill) {
      this.fillHeaders = fill;
      return this;
    }

    /**
     * Builds the message, filling Message-ID (on the From domain) and Date when absent.
     *
     * @throws IllegalStateException when there are several From mailboxes and no Sender (RFC
     *     5322 §3.6.2)
     */
    public Message build() {
      if (from.size() > 1 && sender == null) {
        throw new IllegalStateException("several From mailboxes need a Sender (RFC 5322 3.6.2)");
      }
      if (fillHeaders) {
        if (messageId == null) {
          String domain = from.isEmpty() ? "mailcore.invalid" : from.get(0).asciiDomain();
          messageId = "<" + UUID.randomUUID() + "@" + domain + ">";
        }
        if (date == null) {
          date = OffsetDateTime.now(clock).withNano(0);
        }
      }
      return new Message(this);
    }
  }
}
