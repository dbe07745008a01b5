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

    /**
     * The watch lost track of what it had reported: the folder's message ids changed wholesale
     * (IMAP UIDVALIDITY differs after a reconnect, RFC 3501 §2.3.1.1, as servers do after a
     * mailbox rebuild). Every {@link MessageUid} this listener holds for the folder is void, and
     * mail that arrived while the watch was disconnected is <em>not</em> reported by {@link
     * #newMail}: the watch cannot tell it from what was there before.
     *
     * <p>The watch goes on from the folder's current content: {@link #newMail} reports only what
     * arrives after this call. It does not report the whole folder as new, because after such a
     * change it cannot tell which of the renumbered messages the listener already had, and
     * flooding it with the entire mailbox would be indistinguishable from that much new mail;
     * this call is the signal instead. A caller that keeps a {@link SyncState} should now call
     * {@link Folder#fetchNew} with it: that returns a {@link SyncResult} whose {@link
     * SyncResult#reset()} is true and which lists every message of the folder under its new
     * ids, to match by Message-ID or content against what the caller has. Messages arriving
     * while it runs may be listed there and by a later {@link #newMail} too; their ids are
     * equal.
     *
     * <p>Called once per change, on the watch's thread, after {@link #reconnected()} and before
     * any {@link #newMail} of the new ids. Stores whose ids have no such epoch (POP3 UIDLs) never
     * call it.
     *
     * @since 0.1
     */
    default void reset() {}
  }

  /** Returns true while the watch runs. */
  boolean isActive();

  /** Stops the watch. Idempotent. */
  @Override
  void close();
}
