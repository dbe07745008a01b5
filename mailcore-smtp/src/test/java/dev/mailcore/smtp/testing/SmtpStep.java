package dev.mailcore.smtp.testing;

/**
 * A point in an SMTP conversation where {@link ScriptedSmtpServer} can give a scripted reply or
 * inject a {@link SocketFault}. Occurrences are counted over all connections of one server,
 * starting at 1.
 */
public enum SmtpStep {
  /** The 220 greeting after connect. */
  GREETING,
  /** EHLO or HELO. */
  EHLO,
  /** STARTTLS. */
  STARTTLS,
  /** AUTH (the final answer). */
  AUTH,
  /** MAIL FROM. */
  MAIL,
  /** RCPT TO. */
  RCPT,
  /** The DATA command (354 expected). */
  DATA,
  /** In the middle of the DATA body, after its first line (faults only). */
  DATA_BODY,
  /** The reply after the final dot of DATA. */
  END_OF_DATA,
  /** A BDAT chunk that is not the last. */
  BDAT,
  /** The BDAT chunk marked LAST. */
  BDAT_LAST,
  /** RSET. */
  RSET,
  /** NOOP. */
  NOOP,
  /** QUIT. */
  QUIT
}
