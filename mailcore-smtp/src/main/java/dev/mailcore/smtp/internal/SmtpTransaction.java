package dev.mailcore.smtp.internal;

import dev.mailcore.Envelope;
import dev.mailcore.Message;
import java.util.Objects;

/**
 * One message to send in one SMTP transaction: the envelope (reverse-path, recipients, DSN
 * options), the bytes, and whether it needs SMTPUTF8 (RFC 6531).
 *
 * <p>Immutable and thread-safe when the source is.
 *
 * @param envelope the reverse-path, recipients and DSN options
 * @param source the RFC 5322 bytes
 * @param smtpUtf8 true when an address or header needs SMTPUTF8
 */
public record SmtpTransaction(Envelope envelope, MessageSource source, boolean smtpUtf8) {

  /** Validates. */
  public SmtpTransaction {
    Objects.requireNonNull(envelope, "envelope");
    Objects.requireNonNull(source, "source");
  }

  /**
   * Creates a transaction for pre-rendered bytes; SMTPUTF8 follows the envelope's addresses, and
   * the session adds it when the bytes' header section holds UTF-8 (RFC 6532).
   */
  public static SmtpTransaction of(Envelope envelope, MessageSource source) {
    return new SmtpTransaction(envelope, source, envelope.needsSmtpUtf8());
  }

  /** Creates a transaction that renders {@code message} while sending. */
  public static SmtpTransaction of(Envelope envelope, Message message) {
    return new SmtpTransaction(
        envelope, MessageSource.of(message), envelope.needsSmtpUtf8() || message.needsSmtpUtf8());
  }
}
