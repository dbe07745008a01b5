package dev.mailcore.smtp.internal;

import dev.mailcore.Content;
import dev.mailcore.Message;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * The RFC 5322 bytes of one message, written on demand: from a file the queue rendered once, from
 * {@link Content}, or rendered from a {@link Message} on the fly. A source may be written several
 * times (a retry on a fresh session) and must write the same bytes each time.
 *
 * <p>Implementations are thread-safe when their underlying data is.
 */
@FunctionalInterface
public interface MessageSource {

  /**
   * Writes the message. Line ends may be LF or CRLF; the session normalises them and applies
   * dot-stuffing itself.
   *
   * @throws IOException when the bytes cannot be read or the connection fails
   */
  void writeTo(OutputStream out) throws IOException;

  /** Returns the size in bytes when known in advance, for the SIZE parameter (RFC 1870). */
  default OptionalLong size() {
    return OptionalLong.empty();
  }

  /** Returns a source over content, such as a rendered file; the content is opened per write. */
  static MessageSource of(Content content) {
    Objects.requireNonNull(content, "content");
    return new MessageSource() {
      @Override
      public void writeTo(OutputStream out) throws IOException {
        try (InputStream in = content.open()) {
          in.transferTo(out);
        } catch (UncheckedIOException e) {
          throw e.getCause();
        }
      }

      @Override
      public OptionalLong size() {
        return content.size();
      }
    };
  }

  /** Returns a source that renders {@code message} through {@link Message#writeTo} per write. */
  static MessageSource of(Message message) {
    Objects.requireNonNull(message, "message");
    return out -> {
      try {
        message.writeTo(out);
      } catch (UncheckedIOException e) {
        throw e.getCause();
      }
    };
  }
}
