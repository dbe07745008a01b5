package dev.mailcore;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A message as a {@link MailStore} lists it: its stable id, size, received date, flags (where the
 * protocol has them) and main headers, with the content fetched only when asked for.
 *
 * <p>The listed fields are immutable. {@link #openContent()} and {@link #message()} go back to
 * the server through the folder the message was listed from, so they are called on that folder's
 * thread while it is open.
 *
 * @since 0.1
 */
public final class StoredMessage {
  private final MessageUid uid;
  private final long size;
  private final Instant receivedDate;
  private final Set<Flag> flags;
  private final List<Header> headers;
  private final Content content;

  private StoredMessage(Builder b) {
    this.uid = Objects.requireNonNull(b.uid, "uid");
    this.size = b.size;
    this.receivedDate = b.receivedDate;
    this.flags = Set.copyOf(b.flags);
    this.headers = List.copyOf(b.headers);
    this.content = Objects.requireNonNull(b.content, "content");
  }

  /** Returns a builder, for store implementations. */
  public static Builder builder(MessageUid uid) {
    Builder b = new Builder();
    b.uid = Objects.requireNonNull(uid, "uid");
    return b;
  }

  /** Returns a builder with this message's fields, for store implementations. */
  public Builder toBuilder() {
    Builder b = builder(uid).size(size).flags(flags).headers(headers).content(content);
    b.receivedDate = receivedDate;
    return b;
  }

  /** Returns the id, stable across sessions. */
  public MessageUid uid() {
    return uid;
  }

  /** Returns the size in bytes as the server reports it (RFC 822 size). */
  public long size() {
    return size;
  }

  /** Returns when the server received the message (IMAP INTERNALDATE), when known. */
  public Optional<Instant> receivedDate() {
    return Optional.ofNullable(receivedDate);
  }

  /** Returns the flags; empty where the protocol has none (POP3). */
  public Set<Flag> flags() {
    return flags;
  }

  /** Returns the listed header fields, values decoded. */
  public List<Header> headers() {
    return headers;
  }

  /** Returns the first value of header {@code name}, ignoring case. */
  public Optional<String> header(String name) {
    return headers.stream().filter(h -> h.is(name)).map(Header::value).findFirst();
  }

  /** Returns the From mailboxes; addresses that do not parse are left out (see {@link #header}). */
  public List<Mailbox> from() {
    return addresses("From");
  }

  /** Returns the To mailboxes; addresses that do not parse are left out. */
  public List<Mailbox> to() {
    return addresses("To");
  }

  /** Returns the subject, decoded. */
  public Optional<String> subject() {
    return header("Subject");
  }

  /** Returns the Message-ID. */
  public Optional<String> messageId() {
    return header("Message-ID");
  }

  /**
   * Opens the whole message (RFC 5322 bytes), streamed from the server. The caller closes it.
   *
   * @throws MailException when the server cannot deliver it
   */
  public InputStream openContent() {
    try {
      return content.open();
    } catch (UncheckedIOException e) {
      throw new MailConnectionException("cannot fetch message " + uid, true, e.getCause());
    }
  }

  /**
   * Fetches and parses the whole message.
   *
   * @throws MailException when the server cannot deliver it
   * @throws MailFormatException when it is not a message at all
   */
  public Message message() {
    try (InputStream in = openContent()) {
      return Message.parse(in);
    } catch (IOException e) {
      throw new MailConnectionException("cannot fetch message " + uid, true, e);
    } catch (UncheckedIOException e) {
      // the content stream failed while being parsed: the connection dropped mid-message
      throw new MailConnectionException("cannot fetch message " + uid, true, e.getCause());
    }
  }

  /** Returns the content source, for store implementations. */
  public Content content() {
    return content;
  }

  private List<Mailbox> addresses(String name) {
    List<Mailbox> out = new ArrayList<>();
    for (String value : headers.stream().filter(h -> h.is(name)).map(Header::value).toList()) {
      try {
        out.addAll(Mailbox.parseList(value));
      } catch (MailFormatException e) {
        // a malformed address list from the server is still shown raw by header(name); the
        // parsed view leaves it out rather than failing the whole listing
        for (String part : value.split(",")) {
          Mailbox.tryParse(part.trim()).ifPresent(out::add);
        }
      }
    }
    return out;
  }

  @Override
  public String toString() {
    return "StoredMessage{" + uid + ", " + size + " bytes, " + subject().orElse("") + "}";
  }

  /** Builds a {@link StoredMessage}; for store implementations. Not thread-safe. */
  public static final class Builder {
    private MessageUid uid;
    private long size;
    private Instant receivedDate;
    private Set<Flag> flags = Set.of();
    private List<Header> headers = List.of();
    private Content content;

    private Builder() {}

    /** Sets the size in bytes. */
    public Builder size(long bytes) {
      this.size = bytes;
      return this;
    }

    /** Sets the received date. */
    public Builder receivedDate(Instant instant) {
      this.receivedDate = instant;
      return this;
    }

    /** Sets the flags. */
    public Builder flags(Set<Flag> value) {
      this.flags = Set.copyOf(value);
      return this;
    }

    /** Sets the listed headers. */
    public Builder headers(List<Header> value) {
      this.headers = List.copyOf(value);
      return this;
    }

    /** Sets the lazy source of the whole message. */
    public Builder content(Content value) {
      this.content = Objects.requireNonNull(value, "content");
      return this;
    }

    /** Builds the message. */
    public StoredMessage build() {
      return new StoredMessage(this);
    }
  }
}
