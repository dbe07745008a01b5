package dev.mailcore.smtp.testing;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One mail transaction the {@link ScriptedSmtpServer} accepted data for: the MAIL and RCPT
 * arguments as sent, the accepted recipients, the message bytes after un-dot-stuffing, and how
 * many round trips it took.
 *
 * @param connection which connection of the server it came on, from 1
 * @param mailFrom the MAIL FROM line's argument, such as {@code <a@x.test> SIZE=12}
 * @param recipients the accepted RCPT TO arguments, such as {@code <b@y.test> NOTIFY=FAILURE}
 * @param data the message as received (dot-stuffing removed), or the concatenated BDAT chunks
 * @param chunked true when sent with BDAT
 * @param roundTrips how many times the server flushed replies and waited for the client between
 *     the MAIL command and the final reply, both included
 */
public record RecordedTransaction(
    int connection, String mailFrom, List<String> recipients, byte[] data, boolean chunked, int roundTrips) {

  /** Copies. */
  public RecordedTransaction {
    recipients = List.copyOf(recipients);
    data = data.clone();
  }

  /** Returns the data as UTF-8 text. */
  public String text() {
    return new String(data, StandardCharsets.UTF_8);
  }

  /** Returns the reverse-path, without angle brackets. */
  public String reversePath() {
    int end = mailFrom.indexOf('>');
    return end > 0 && mailFrom.startsWith("<") ? mailFrom.substring(1, end) : mailFrom;
  }

  /** Returns the recipient addresses, without angle brackets and parameters. */
  public List<String> recipientAddresses() {
    return recipients.stream()
        .map(r -> r.startsWith("<") && r.indexOf('>') > 0 ? r.substring(1, r.indexOf('>')) : r)
        .toList();
  }
}
