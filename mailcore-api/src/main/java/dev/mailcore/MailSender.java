package dev.mailcore;

import java.util.concurrent.CompletableFuture;

/**
 * Sends messages: through a relay, directly to recipients' servers, into a queue, or into a fake
 * for tests.
 *
 * <p>Implementations are thread-safe. The result holds one outcome per recipient: a refused
 * recipient is a value, not an exception. An exception means the send could not be attempted at
 * all (for example the sender is closed).
 *
 * @since 0.1
 */
public interface MailSender extends AutoCloseable {

  /**
   * Sends {@code message} to the recipients of {@code envelope}, blocking until every recipient
   * has an outcome.
   *
   * @throws MailFormatException when the message cannot be sent as it is (for example it needs
   *     SMTPUTF8 and the address cannot be expressed otherwise)
   * @throws IllegalStateException when the sender is closed
   */
  SendResult send(Envelope envelope, Message message);

  /**
   * Sends to the recipients the message names (To, Cc, Bcc) with the envelope {@link
   * Envelope#of(Message)} derives.
   *
   * @throws IllegalArgumentException when the message has no recipient
   * @throws IllegalStateException when the sender is closed
   */
  default SendResult send(Message message) {
    return send(Envelope.of(message), message);
  }

  /**
   * Sends without blocking. The future completes with the result, or exceptionally with the
   * exception {@link #send(Envelope, Message)} would have thrown. The default runs {@code send}
   * on the common pool; implementations with their own threads override it.
   */
  default CompletableFuture<SendResult> sendAsync(Envelope envelope, Message message) {
    return CompletableFuture.supplyAsync(() -> send(envelope, message));
  }

  /** Releases connections and threads; messages in flight finish first. Idempotent. */
  @Override
  void close();
}
