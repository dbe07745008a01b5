package dev.mailcore.smtp.dkim;

import dev.mailcore.Content;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;

/**
 * Signs a rendered message: reads its RFC 5322 bytes and returns the header field to prepend,
 * such as a {@code DKIM-Signature}. The default implementation is {@link DkimSigner}.
 *
 * <p>Signing happens once, when a message is rendered for sending or queueing; every delivery
 * attempt then sends the same signed bytes. The message is streamed, never held in memory, and
 * may be opened more than once (a {@link Content} is a re-openable source).
 *
 * <p>Implementations must be thread-safe: one signer serves every message of a sender.
 *
 * @since 0.1
 */
public interface MessageSigner {

  /**
   * Computes the header field(s) to prepend to {@code message}: the complete text, folded into
   * lines of at most 78 characters, each line ending in CRLF.
   *
   * @param message the RFC 5322 bytes of the message, line ends CRLF (a bare LF counts as CRLF)
   * @return the header field text, ready to be written before the message's first byte
   * @throws dev.mailcore.MailFormatException when the message has no From field, a header field
   *     without a colon or a header block larger than 1 MiB
   * @throws UncheckedIOException when the message cannot be read
   */
  String sign(Content message);

  /**
   * Returns a signer that applies every given signer to the same message and prepends all their
   * header fields, the first signer's on top. The usual use is one rsa-sha256 and one
   * ed25519-sha256 signature (RFC 8463 §1), so that verifiers without Ed25519 still find a
   * signature they can check. Each signer reads the message once.
   *
   * @throws IllegalArgumentException when no signer is given
   */
  static MessageSigner all(List<MessageSigner> signers) {
    List<MessageSigner> copy = List.copyOf(signers);
    if (copy.isEmpty()) {
      throw new IllegalArgumentException("no signer given");
    }
    return message -> {
      StringBuilder headers = new StringBuilder();
      for (MessageSigner s : copy) {
        headers.append(s.sign(message));
      }
      return headers.toString();
    };
  }

  /**
   * Signs {@code message} once and returns the signed message as content: the signature header
   * followed by the message bytes, bare LF line ends written as CRLF so that the bytes sent are
   * the bytes signed. Reading the result several times gives the same bytes each time.
   *
   * @throws dev.mailcore.MailFormatException as {@link #sign} does
   * @throws UncheckedIOException when the message cannot be read
   */
  default Content signedSource(Content message) {
    Objects.requireNonNull(message, "message");
    byte[] header = sign(message).getBytes(StandardCharsets.US_ASCII);
    return Content.ofSource(
        () -> {
          InputStream body = message.open();
          return new SequenceInputStream(
              new ByteArrayInputStream(header), new CrlfInputStream(body));
        },
        -1);
  }

  /**
   * Signs {@code message} and writes the signed message to {@code out}: two passes over the
   * source, the first to sign, the second to copy. {@code out} is not closed.
   *
   * @throws dev.mailcore.MailFormatException as {@link #sign} does
   * @throws UncheckedIOException when reading or writing fails
   */
  default void writeSigned(Content message, OutputStream out) {
    Objects.requireNonNull(out, "out");
    try (InputStream in = signedSource(message).open()) {
      in.transferTo(out);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the signed message", e);
    }
  }
}
