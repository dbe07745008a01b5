package dev.mailcore.smtp;

import dev.mailcore.Content;
import dev.mailcore.Envelope;
import java.util.Objects;

/**
 * A message already in RFC 5322 form (rendered once, DKIM-signed, read back from disk) with the
 * envelope to send it with. The content is streamed each time the message is sent, never held by
 * the sender; line ends may be LF or CRLF.
 *
 * <p>Immutable and thread-safe when the content's source is.
 *
 * @param envelope the reverse-path and recipients
 * @param content the message bytes
 * @since 0.1
 */
public record RenderedMessage(Envelope envelope, Content content) {

  /** Validates. */
  public RenderedMessage {
    Objects.requireNonNull(envelope, "envelope");
    Objects.requireNonNull(content, "content");
  }

  /** Creates a rendered message. */
  public static RenderedMessage of(Envelope envelope, Content content) {
    return new RenderedMessage(envelope, content);
  }
}
