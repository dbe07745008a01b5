package dev.mailcore.smtp.queue;

import dev.mailcore.MailException;

/**
 * A {@link QueueStore} could not read or write: the disk is full, a file is unreadable, the
 * database is down. Nothing was acknowledged that is not durable. Temporary unless the stored data
 * is damaged.
 *
 * <p>Immutable and safe to share between threads.
 *
 * @since 0.1
 */
public class QueueStoreException extends MailException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates an exception.
   *
   * @param message what failed
   * @param temporary whether a later retry may succeed
   * @param cause the underlying failure, or {@code null}
   */
  public QueueStoreException(String message, boolean temporary, Throwable cause) {
    super(message, temporary, cause);
  }
}
