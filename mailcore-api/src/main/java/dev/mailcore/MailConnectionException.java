package dev.mailcore;

/**
 * Thrown when the network failed: a host could not be resolved or reached, a connection dropped,
 * a TLS handshake or certificate check failed, or a time-out fired.
 *
 * <p>Network trouble is usually temporary; a certificate that does not verify is permanent until
 * the configuration changes.
 *
 * @since 0.1
 */
public class MailConnectionException extends MailException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates an exception.
   *
   * @param message what failed, naming the host where there is one
   * @param temporary whether a later retry may succeed
   * @param cause the underlying failure, or {@code null}
   */
  public MailConnectionException(String message, boolean temporary, Throwable cause) {
    super(message, temporary, cause);
  }
}
