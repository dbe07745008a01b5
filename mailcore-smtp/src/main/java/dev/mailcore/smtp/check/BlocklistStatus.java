package dev.mailcore.smtp.check;

/**
 * Whether a DNS blocklist lists an address or domain.
 *
 * <p>Immutable and thread-safe.
 *
 * @since 0.1
 */
public enum BlocklistStatus {
  /** The list answered with a 127.0.0.x return code: listed. */
  LISTED,
  /** The list answered NXDOMAIN (or no A record): not listed. */
  NOT_LISTED,
  /**
   * No usable answer: a time-out, SERVFAIL, REFUSED, an answer outside 127.0.0.0/8 or a list's
   * own error code (such as Spamhaus' 127.255.255.254 for queries through public resolvers). Never
   * to be read as clean.
   */
  UNKNOWN
}
