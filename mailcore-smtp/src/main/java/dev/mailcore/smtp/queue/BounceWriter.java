package dev.mailcore.smtp.queue;

import dev.mailcore.Content;
import dev.mailcore.EnhancedStatus;
import dev.mailcore.ServerReply;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Writes a delivery status notification (RFC 3464) as raw RFC 5322 bytes: a {@code
 * multipart/report; report-type=delivery-status} with a human-readable part, a {@code
 * message/delivery-status} part (per-message fields, then one block per recipient) and the
 * original's headers as {@code text/rfc822-headers} (RFC 6522). The status codes follow RFC 3463; a
 * recipient failed because its lifetime ran out keeps its last temporary status, or gets 4.4.7
 * (delivery time expired) when no server gave one.
 */
final class BounceWriter {

  /** What the notification reports. */
  enum Action {
    FAILED("failed"),
    DELAYED("delayed");

    final String field;

    Action(String field) {
      this.field = field;
    }
  }

  static final String EXPIRED_PREFIX = "lifetime expired: ";
  private static final int MAX_HEADER_BYTES = 64 * 1024;
  private static final int MAX_FIELD = 900;
  private static final DateTimeFormatter DATE =
      DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT)
          .withZone(ZoneOffset.UTC);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final String reportingMta;

  BounceWriter(String reportingMta) {
    this.reportingMta = reportingMta;
  }

  /**
   * Writes the notification for {@code recipients} of {@code entry}.
   *
   * @param original the stored message, of which the header section is included
   * @param retryUntil for a delay warning, when the queue gives up
   * @throws IOException when the original cannot be read
   */
  byte[] write(
      QueueEntry entry,
      List<RecipientState> recipients,
      Action action,
      Content original,
      Instant now,
      Optional<Instant> retryUntil)
      throws IOException {
    String boundary = "=_mailcore-dsn-" + HexFormat.of().formatHex(randomBytes());
    StringBuilder out = new StringBuilder(2048);
    String sender = entry.envelope().reversePath().orElseThrow().address();
    header(out, "From", "Mail Delivery System <MAILER-DAEMON@" + reportingMta + ">");
    header(out, "To", "<" + sender + ">");
    header(
        out,
        "Subject",
        action == Action.FAILED
            ? "Undelivered Mail Returned to Sender"
            : "Delayed Mail (still being retried)");
    header(out, "Date", DATE.format(now));
    header(
        out,
        "Message-ID",
        "<" + entry.id() + "." + boundary.substring(15, 23) + ".dsn@" + reportingMta + ">");
    header(out, "Auto-Submitted", "auto-replied");
    header(out, "MIME-Version", "1.0");
    header(
        out,
        "Content-Type",
        "multipart/report; report-type=delivery-status;\r\n\tboundary=\"" + boundary + "\"");
    out.append("\r\n");
    out.append("This is a MIME-encapsulated delivery status notification.\r\n\r\n");

    out.append("--").append(boundary).append("\r\n");
    header(out, "Content-Type", "text/plain; charset=UTF-8");
    header(out, "Content-Transfer-Encoding", "8bit");
    out.append("\r\n");
    humanText(out, entry, recipients, action);

    out.append("\r\n--").append(boundary).append("\r\n");
    header(out, "Content-Type", "message/delivery-status");
    out.append("\r\n");
    header(out, "Reporting-MTA", "dns; " + reportingMta);
    entry.envelope().dsn().envelopeId().ifPresent(id -> header(out, "Original-Envelope-Id", id));
    header(out, "X-Mailcore-Queue-ID", entry.id().value());
    header(out, "Arrival-Date", DATE.format(entry.created()));
    for (RecipientState r : recipients) {
      out.append("\r\n");
      header(out, "Final-Recipient", "rfc822; " + r.recipient().address());
      header(out, "Action", action.field);
      header(out, "Status", status(r).toString());
      r.remoteHost().ifPresent(h -> header(out, "Remote-MTA", "dns; " + h));
      diagnosticCode(r).ifPresent(d -> header(out, "Diagnostic-Code", d));
      r.lastAttempt().ifPresent(t -> header(out, "Last-Attempt-Date", DATE.format(t)));
      if (action == Action.DELAYED) {
        retryUntil.ifPresent(t -> header(out, "Will-Retry-Until", DATE.format(t)));
      }
    }

    out.append("\r\n--").append(boundary).append("\r\n");
    header(out, "Content-Type", "text/rfc822-headers");
    header(out, "Content-Transfer-Encoding", "8bit");
    out.append("\r\n");
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(out.length() + 4096);
    bytes.write(out.toString().getBytes(StandardCharsets.UTF_8));
    bytes.write(originalHeaders(original));
    bytes.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
    return bytes.toByteArray();
  }

  private void humanText(
      StringBuilder out, QueueEntry entry, List<RecipientState> recipients, Action action) {
    out.append("This is the mail system at ").append(reportingMta).append(".\r\n\r\n");
    if (action == Action.FAILED) {
      out.append(
          "Your message could not be delivered to the recipients below. The mail system gave"
              + " up;\r\n");
      out.append("the message will not be sent to them again.\r\n\r\n");
    } else {
      out.append(
          "Your message has not yet been delivered to the recipients below. The mail system\r\n");
      out.append("keeps trying; you need not resend it. You will be told if it gives up.\r\n\r\n");
    }
    for (RecipientState r : recipients) {
      out.append("<").append(r.recipient().address()).append(">: ");
      out.append(clean(r.diagnostic().orElse("no attempt was made"))).append("\r\n");
    }
  }

  static EnhancedStatus status(RecipientState r) {
    Optional<EnhancedStatus> fromReply = r.lastReply().flatMap(ServerReply::status);
    if (fromReply.isPresent()) {
      return fromReply.get();
    }
    if (r.lastReply().map(ServerReply::isPermanent).orElse(false)) {
      return new EnhancedStatus(5, 0, 0);
    }
    if (r.diagnostic().map(d -> d.startsWith(EXPIRED_PREFIX)).orElse(false)) {
      return new EnhancedStatus(4, 4, 7);
    }
    return r.status() == RecipientState.Status.FAILED && r.lastReply().isEmpty()
        ? new EnhancedStatus(5, 0, 0)
        : new EnhancedStatus(4, 0, 0);
  }

  private static Optional<String> diagnosticCode(RecipientState r) {
    // "smtp;" claims the words came from a remote SMTP server (RFC 3464 §2.3.6); a reply made up
    // locally for a failure no server reported (null MX, no such domain) is not one
    if (r.lastReply().isPresent() && r.remoteHost().isPresent()) {
      return Optional.of("smtp; " + clean(r.lastReply().get().toString()));
    }
    if (r.lastReply().isPresent()) {
      return Optional.of("X-mailcore; " + clean(r.lastReply().get().toString()));
    }
    return r.diagnostic().map(d -> "X-mailcore; " + clean(d));
  }

  private static byte[] originalHeaders(Content original) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(2048);
    try (InputStream in = original.open()) {
      int prev = -1;
      int prev2 = -1;
      int prev3 = -1;
      for (int b; (b = in.read()) >= 0 && out.size() < MAX_HEADER_BYTES; ) {
        boolean crlfcrlf = b == '\n' && prev == '\r' && prev2 == '\n' && prev3 == '\r';
        boolean lflf = b == '\n' && prev == '\n';
        out.write(b);
        if (crlfcrlf || lflf) {
          break;
        }
        prev3 = prev2;
        prev2 = prev;
        prev = b;
      }
    }
    return out.toByteArray();
  }

  private static void header(StringBuilder out, String name, String value) {
    out.append(name).append(": ").append(value).append("\r\n");
  }

  /** One line, no controls, bounded: a field value or a line of the human-readable part. */
  private static String clean(String s) {
    StringBuilder b = new StringBuilder(Math.min(s.length(), MAX_FIELD));
    for (int i = 0; i < s.length() && b.length() < MAX_FIELD; i++) {
      char c = s.charAt(i);
      b.append(c < 32 || c == 127 ? ' ' : c);
    }
    return b.toString();
  }

  private static byte[] randomBytes() {
    byte[] b = new byte[12];
    RANDOM.nextBytes(b);
    return b;
  }
}
