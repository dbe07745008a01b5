package dev.mailcore;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The outcome for one recipient: its status, the server's reply when there was one, a
 * human-readable diagnostic, and the host that answered.
 *
 * @param recipient the recipient
 * @param status delivered, deferred or failed
 * @param reply the reply that decided the outcome; empty when no server answered (connection
 *     refused, DNS failure, time-out)
 * @param diagnostic what happened, in words; never empty
 * @param remoteHost the host that gave the reply, when one did
 * @since 0.1
 */
public record RecipientResult(
    Mailbox recipient,
    DeliveryStatus status,
    Optional<ServerReply> reply,
    String diagnostic,
    Optional<String> remoteHost) {

  /** Validates. */
  public RecipientResult {
    Objects.requireNonNull(recipient, "recipient");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(reply, "reply");
    Objects.requireNonNull(diagnostic, "diagnostic");
    Objects.requireNonNull(remoteHost, "remoteHost");
  }

  /** Creates the result for a reply from {@code host}; the status follows the reply code. */
  public static RecipientResult ofReply(Mailbox recipient, ServerReply reply, String host) {
    DeliveryStatus status =
        reply.isPositive()
            ? DeliveryStatus.DELIVERED
            : reply.isTransient() ? DeliveryStatus.DEFERRED : DeliveryStatus.FAILED;
    return new RecipientResult(
        recipient, status, Optional.of(reply), reply.toString(), Optional.ofNullable(host));
  }

  /** Creates the result for a failure with no server reply. */
  public static RecipientResult ofFailure(
      Mailbox recipient, boolean temporary, String diagnostic, String host) {
    return new RecipientResult(
        recipient,
        temporary ? DeliveryStatus.DEFERRED : DeliveryStatus.FAILED,
        Optional.empty(),
        diagnostic,
        Optional.ofNullable(host));
  }

  /** Returns the reply code, when a server replied. */
  public OptionalInt replyCode() {
    return reply.map(r -> OptionalInt.of(r.code())).orElse(OptionalInt.empty());
  }

  /** Returns the enhanced status code, when the server sent one. */
  public Optional<EnhancedStatus> enhancedStatus() {
    return reply.flatMap(ServerReply::status);
  }

  /** Returns true when the recipient's server accepted the message. */
  public boolean isDelivered() {
    return status == DeliveryStatus.DELIVERED;
  }
}
