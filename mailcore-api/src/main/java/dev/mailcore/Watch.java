package dev.mailcore;

import java.util.List;

/**
 * A running watch for new mail in one folder ({@link MailStore#watch}): IMAP IDLE where the
 * server has it, polling where not. Closing it stops the watch and releases its connection.
 *
 * <p>Thread-safe.
 *
 * @since 0.1
 */
public interface Watch extends AutoCloseable {

  /**
   * Hears of new mail. Called on the watch's own thread, one call at a time; must not block for
   * long or throw.
   */
  interface Listener {
    /** New messages arrived, oldest first. */
    void newMail(List<StoredMessage> messages);

    /** The connection was lost; the watch reconnects by itself. */
    default void connectionLost(MailException cause) {}

    /** The watch is connected again after a loss. */
    default void reconnected() {}

    /**
     * The watch stopped for good and will not reconnect: what it watched is gone (the folder
     * was deleted or renamed meanwhile). {@link Watch#isActive()} is already false.
     *
     * @param cause a permanent error ({@link MailException#isTemporary()} is false) naming why
     * @since 0.1
     */
    default void stopped(MailException cause) {}
  }

  /** Returns true while the watch runs. */
  boolean isActive();

  /** Stops the watch. Idempotent. */
  @Override
  void close();
}
