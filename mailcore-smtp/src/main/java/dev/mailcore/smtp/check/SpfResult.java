package dev.mailcore.smtp.check;

/**
 * The result of SPF's {@code check_host()} (RFC 7208 §2.6).
 *
 * <p>Immutable and thread-safe.
 *
 * @since 0.1
 */
public enum SpfResult {
  /** The address is authorized to send for the domain. */
  PASS,
  /** The domain says the address is not authorized ({@code -all} or another {@code -} match). */
  FAIL,
  /** The domain says the address is probably not authorized ({@code ~}). */
  SOFTFAIL,
  /** The domain makes no statement about the address ({@code ?}, or nothing matched). */
  NEUTRAL,
  /** The domain publishes no SPF record, or the name is not a domain. */
  NONE,
  /** A DNS failure (time-out, SERVFAIL) stopped the evaluation; a later try may succeed. */
  TEMPERROR,
  /**
   * The record is broken: bad syntax, several SPF records, more than 10 DNS look-ups or more than
   * 2 void look-ups, an include or redirect to a domain without SPF.
   */
  PERMERROR
}
