package dev.mailcore;

/**
 * How a connection is secured.
 *
 * @since 0.1
 */
public enum TlsMode {
  /** TLS from the first byte (SMTP port 465, IMAP 993, POP3 995). */
  IMPLICIT,
  /** Upgrade with STARTTLS (STLS for POP3); fail when the server does not offer it. */
  STARTTLS,
  /**
   * Upgrade with STARTTLS when the server offers it, otherwise continue in plain text
   * (opportunistic TLS, the norm between MTAs). A failed handshake is still an error.
   */
  STARTTLS_IF_OFFERED,
  /** No TLS at all; only when explicitly chosen. */
  NONE
}
