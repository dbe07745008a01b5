package dev.mailcore;

/**
 * Root of every exception mailcore throws: an operation could not run.
 *
 * <p>Outcomes that are part of normal mail traffic, such as a refused recipient, are values
 * ({@link RecipientResult}), not exceptions. Each exception says whether trying the same
 * operation again later may succeed ({@link #isTemporary()}).
 *
 * <p>Instances are immutable and safe to share between threads.
 *
 * @since 0.1
 */
public class MailException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final boolean temporary;

  /**
   * Creates an exception.
   *
   * @param message what went wrong, never containing a secret
   * @param temporary whether a later retry may succeed
   * @param cause the underlying failure, or {@code null}
   */
  public MailException(String message, boolean temporary, Throwable cause) {
    super(message, cause);
    this.temporary = temporary;
  }

  /**
   * Creates an exception without a cause.
   *
   * @param message what went wrong, never containing a secret
   * @param temporary whether a later retry may succeed
   */
  public MailException(String message, boolean temporary) {
    this(message, temporary, null);
  }

  /** Returns true when the same operation may succeed if tried again later. */
  public boolean isTemporary() {
    return temporary;
  }

  /** Returns true when retrying without a change will fail again. */
  public final boolean isPermanent() {
    return !temporary;
  }
}
