package dev.mailcore.smtp.mx;

/**
 * A failure that {@link TestDnsServer} injects for one name instead of answering from its zones.
 *
 * @since 0.1
 */
public enum DnsFault {
  /** Answer with rcode SERVFAIL, as a server whose upstream or zone is broken does. */
  SERVFAIL,
  /** Answer with rcode REFUSED, as a server that will not serve the name does. */
  REFUSED,
  /** Send nothing back, over UDP or TCP: the client sees a time-out. */
  DROP,
  /**
   * Answer UDP queries with an empty, truncated (TC) reply, so the client must repeat the query
   * over TCP, where the full answer is given.
   */
  TRUNCATE_UDP
}
