package dev.mailcore;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The outcome of sending one message: one {@link RecipientResult} per envelope recipient, in
 * envelope order.
 *
 * @param messageId the message's Message-ID header, when it has one
 * @param recipients one result per recipient
 * @since 0.1
 */
public record SendResult(Optional<String> messageId, List<RecipientResult> recipients) {

  /** Validates and copies. */
  public SendResult {
    Objects.requireNonNull(messageId, "messageId");
    recipients = List.copyOf(recipients);
  }

  /** Returns true when every recipient was delivered. */
  public boolean isAllDelivered() {
    return recipients.stream().allMatch(RecipientResult::isDelivered);
  }

  /** Returns the results with the given status. */
  public List<RecipientResult> withStatus(DeliveryStatus status) {
    return recipients.stream().filter(r -> r.status() == status).toList();
  }

  /** Returns the result for {@code recipient}, when it was in the envelope. */
  public Optional<RecipientResult> recipient(Mailbox recipient) {
    return recipients.stream().filter(r -> r.recipient().equals(recipient)).findFirst();
  }
}
