package dev.mailcore;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The SMTP envelope of a message: the reverse-path ({@code MAIL FROM}) and the recipients ({@code
 * RCPT TO}), plus DSN options. The envelope decides who receives the message; the headers only
 * show it.
 *
 * <p>An empty reverse-path ({@code <>}) marks a bounce or other notification, which must never
 * cause a bounce itself (RFC 5321 §4.5.5).
 *
 * <p>Immutable and thread-safe.
 *
 * @param reversePath the bounce address; empty for the null reverse-path {@code <>}
 * @param recipients the recipients, without duplicates; never empty
 * @param dsn delivery status notification requests
 * @since 0.1
 */
public record Envelope(Optional<Mailbox> reversePath, List<Mailbox> recipients, DsnOptions dsn) {

  /**
   * Validates, copies and drops duplicate recipients (same address, any display name). Display
   * names are removed: the envelope holds addresses only.
   *
   * @throws IllegalArgumentException when there is no recipient
   * @throws NullPointerException when an argument or a recipient is null
   */
  public Envelope {
    Objects.requireNonNull(reversePath, "reversePath");
    Objects.requireNonNull(recipients, "recipients");
    Objects.requireNonNull(dsn, "dsn");
    reversePath = reversePath.map(m -> m.displayName().isPresent() ? m.withDisplayName(null) : m);
    List<Mailbox> unique = new ArrayList<>();
    for (Mailbox r : recipients) {
      Objects.requireNonNull(r, "recipient");
      Mailbox bare = r.displayName().isPresent() ? r.withDisplayName(null) : r;
      if (unique.stream().noneMatch(bare::sameAddress)) {
        unique.add(bare);
      }
    }
    if (unique.isEmpty()) {
      throw new IllegalArgumentException("an envelope needs at least one recipient");
    }
    recipients = List.copyOf(unique);
  }

  /**
   * Derives the envelope of a message: the reverse-path is the Sender, else the first From; the
   * recipients are To, Cc and Bcc.
   *
   * @throws IllegalArgumentException when the message has no recipient
   */
  public static Envelope of(Message message) {
    Optional<Mailbox> from =
        message.sender().or(() -> message.from().stream().findFirst());
    List<Mailbox> rcpts = new ArrayList<>(message.to());
    rcpts.addAll(message.cc());
    rcpts.addAll(message.bcc());
    return new Envelope(from, rcpts, DsnOptions.none());
  }

  /** Creates an envelope. */
  public static Envelope of(Mailbox reversePath, List<Mailbox> recipients) {
    return new Envelope(Optional.of(reversePath), recipients, DsnOptions.none());
  }

  /** Creates an envelope with the null reverse-path {@code <>}, as bounces use. */
  public static Envelope ofBounce(List<Mailbox> recipients) {
    return new Envelope(Optional.empty(), recipients, DsnOptions.none());
  }

  /** Returns a copy with other DSN options. */
  public Envelope withDsn(DsnOptions options) {
    return new Envelope(reversePath, recipients, options);
  }

  /** Returns a copy with other recipients. */
  public Envelope withRecipients(List<Mailbox> newRecipients) {
    return new Envelope(reversePath, newRecipients, dsn);
  }

  /** Returns true for the null reverse-path {@code <>}: a bounce must not bounce. */
  public boolean isBounce() {
    return reversePath.isEmpty();
  }

  /** Returns true when an address needs SMTPUTF8 (RFC 6531). */
  public boolean needsSmtpUtf8() {
    return reversePath.map(Mailbox::needsSmtpUtf8).orElse(false)
        || recipients.stream().anyMatch(Mailbox::needsSmtpUtf8);
  }
}
