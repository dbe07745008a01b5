package dev.mailcore.testing;

import dev.mailcore.Header;
import dev.mailcore.MailFormatException;
import dev.mailcore.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.InternetHeaders;
import jakarta.mail.internet.MimeUtility;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.UnsupportedEncodingException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bytes of one stored message: given as RFC 5322 bytes, or as a {@link Message} rendered on
 * first use and then kept, so every read returns the same bytes. Thread-safe.
 */
final class MessageSource {
  private static final Logger log = LoggerFactory.getLogger(MessageSource.class);

  private final Message message;
  private byte[] bytes;
  private List<Header> headers;

  private MessageSource(Message message, byte[] bytes) {
    this.message = message;
    this.bytes = bytes;
  }

  static MessageSource of(Message message) {
    return new MessageSource(message, null);
  }

  static MessageSource of(byte[] rfc5322) {
    return new MessageSource(null, rfc5322.clone());
  }

  /** Returns the bytes, rendering the message the first time; callers must not modify them. */
  synchronized byte[] bytes() {
    if (bytes == null) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      message.writeTo(out);
      bytes = out.toByteArray();
    }
    return bytes;
  }

  /** Returns the header fields of the bytes, unfolded and with encoded words decoded. */
  synchronized List<Header> headers() {
    if (headers == null) {
      headers = parseHeaders(bytes());
    }
    return headers;
  }

  private static List<Header> parseHeaders(byte[] raw) {
    InternetHeaders parsed;
    try {
      parsed = new InternetHeaders(new ByteArrayInputStream(raw));
    } catch (MessagingException e) {
      throw new MailFormatException("stored message has no readable header section", e);
    }
    List<Header> out = new ArrayList<>();
    for (jakarta.mail.Header h : Collections.list(parsed.getAllHeaders())) {
      String value = MimeUtility.unfold(h.getValue() == null ? "" : h.getValue()).strip();
      try {
        value = MimeUtility.decodeText(value);
      } catch (UnsupportedEncodingException e) {
        // an unknown charset in an encoded word: a server lists the raw text, and so do we
        log.debug("header {} keeps its encoded form: {}", h.getName(), e.getMessage());
      }
      try {
        out.add(new Header(h.getName(), value));
      } catch (MailFormatException e) {
        // a field our Header type cannot hold (control characters); a server would still list
        // the rest, so the listing goes on without it
        log.debug("header field {} left out of the listing: {}", h.getName(), e.getMessage());
      }
    }
    return List.copyOf(out);
  }
}
