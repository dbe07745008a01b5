package dev.mailcore;

/**
 * Thrown when a server broke the protocol: a malformed or overlong reply, an unexpected tag, a
 * literal larger than allowed. The connection has been closed. Usually temporary, since another
 * attempt may reach a healthy server.
 *
 * @since 0.1
 */
public class MailProtocolException extends MailException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates an exception.
   *
   * @param message what the server did wrong
   * @param cause the underlying failure, or {@code null}
   */
  public MailProtocolException(String message, Throwable cause) {
    super(message, true, cause);
  }
}
