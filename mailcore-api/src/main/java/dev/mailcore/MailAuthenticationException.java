package dev.mailcore;

/**
 * Thrown when a server refuses the credentials, or when authenticating would be unsafe (plain-text
 * AUTH over an unencrypted connection that the caller did not allow). Fix the credentials or the
 * configuration; the message never contains the secret.
 *
 * @since 0.1
 */
public class MailAuthenticationException extends MailException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates an exception.
   *
   * @param message what was refused, without the secret
   * @param temporary true for a server's 4xx answer (for example 454 temporary authentication
   *     failure)
   * @param cause the underlying failure, or {@code null}
   */
  public MailAuthenticationException(String message, boolean temporary, Throwable cause) {
    super(message, temporary, cause);
  }
}
