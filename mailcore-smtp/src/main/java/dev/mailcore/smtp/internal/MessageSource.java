package dev.mailcore.smtp.internal;

import dev.mailcore.Content;
import dev.mailcore.Message;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Objects;
import java.util.Optional;
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

  /**
   * Writes the message like {@link #writeTo}, in pieces of a few KiB where the source reads them,
   * for a reader that stops early (a scan of the header section) and should not make the source
   * read more than it needs.
   */
  default void writeInPiecesTo(OutputStream out) throws IOException {
    writeTo(out);
  }

  /**
   * Opens the bytes for one read, when the source has them as a stream (bytes rendered elsewhere:
   * a file, the queue's journal); empty for a message rendered while it is written. The session
   * reads the header section from the stream before MAIL, to scan it, and the rest of the same
   * stream after DATA, so such bytes are opened once per transaction. The caller closes it.
   *
   * @throws IOException when the bytes cannot be opened
   */
  default Optional<InputStream> openStream() throws IOException {
    return Optional.empty();
  }

  /**
   * Returns true when the transaction already knows whether the header section needs SMTPUTF8
   * ({@link SmtpTransaction#smtpUtf8()}), so the session need not scan it: a message rendered
   * here reports it ({@link Message#needsSmtpUtf8()}). False for bytes rendered elsewhere.
   */
  default boolean headersChecked() {
    return false;
  }

  /**
   * Returns a size the written message does not exceed, when one is known without writing it: the
   * exact {@link #size()}, or for a message rendered on the fly a bound from the lengths of its
   * parts. A message whose bound is under the server's SIZE limit is not measured before sending.
   */
  default OptionalLong sizeBound() {
    return size();
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
      public void writeInPiecesTo(OutputStream out) throws IOException {
        byte[] piece = new byte[4096];
        try (InputStream in = content.open()) {
          for (int n; (n = in.read(piece)) > 0; ) {
            out.write(piece, 0, n);
          }
        } catch (UncheckedIOException e) {
          throw e.getCause();
        }
      }

      @Override
      public Optional<InputStream> openStream() throws IOException {
        try {
          return Optional.of(content.open());
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
    return new MessageSource() {
      @Override
      public void writeTo(OutputStream out) throws IOException {
        try {
          message.writeTo(out);
        } catch (UncheckedIOException e) {
          throw e.getCause();
        }
      }

      @Override
      public boolean headersChecked() {
        return true;
      }

      @Override
      public OptionalLong sizeBound() {
        return SourceScan.sizeBound(message);
      }
    };
  }
}
