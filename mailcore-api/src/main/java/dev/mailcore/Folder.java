package dev.mailcore;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * An open folder of a {@link MailStore}: INBOX for POP3, any folder for IMAP.
 *
 * <p>A folder belongs to one thread: it holds a connection's state and is not thread-safe. Close
 * it when done; for POP3, deletions take effect only when it is closed normally (QUIT), so a
 * dropped connection deletes nothing.
 *
 * <p>Methods that need a capability the store lacks ({@link MailStore#capabilities()}) throw
 * {@link UnsupportedOperationException} naming it.
 *
 * <pre>{@code
 * try (Folder inbox = store.inbox()) {
 *   SyncResult r = inbox.fetchNew(saved);
 *   for (StoredMessage m : r.messages()) {
 *     handle(m.message());
 *   }
 *   saved = r.next();
 * }
 * }</pre>
 *
 * @since 0.1
 */
public interface Folder extends AutoCloseable {

  /** Returns the folder's full name. */
  String name();

  /**
   * Returns the number of messages in the folder.
   *
   * @throws MailException when the server cannot be asked
   */
  int messageCount();

  /**
   * Lists every message, oldest first, with headers fetched in batches (one round trip for many
   * messages) as the stream is consumed. Close the stream (try-with-resources) when done early.
   *
   * @throws MailException when listing fails
   */
  Stream<StoredMessage> list();

  /**
   * Finds one message by id.
   *
   * @return the message, or empty when the folder has no message with that id
   * @throws MailException when the server cannot be asked
   */
  Optional<StoredMessage> find(MessageUid uid);

  /**
   * Returns the messages that arrived since {@code state} and the state to save next. With
   * {@link SyncState#initial()} every message is new.
   *
   * @throws MailFormatException when the state was not made by this kind of store
   * @throws MailException when the server cannot be asked
   */
  SyncResult fetchNew(SyncState state);

  /**
   * Deletes messages. IMAP flags them {@code \Deleted} and expunges them (UID EXPUNGE where the
   * server has UIDPLUS); POP3 marks them and the server removes them when the folder is closed.
   * Unknown ids are ignored.
   *
   * @throws MailException when the server refuses
   */
  void delete(Collection<MessageUid> uids);

  /**
   * Adds flags to messages.
   *
   * @throws UnsupportedOperationException without {@link StoreCapability#FLAGS}
   * @throws MailException when the server refuses
   */
  void addFlags(Collection<MessageUid> uids, Set<Flag> flags);

  /**
   * Removes flags from messages.
   *
   * @throws UnsupportedOperationException without {@link StoreCapability#FLAGS}
   * @throws MailException when the server refuses
   */
  void removeFlags(Collection<MessageUid> uids, Set<Flag> flags);

  /**
   * Searches on the server.
   *
   * @throws UnsupportedOperationException without {@link StoreCapability#SEARCH}
   * @throws MailException when the server refuses
   */
  List<StoredMessage> search(SearchQuery query);

  /**
   * Copies messages into another folder of the same store.
   *
   * @throws UnsupportedOperationException without {@link StoreCapability#FOLDERS}
   * @throws MailException when the target does not exist or the server refuses
   */
  void copyTo(Collection<MessageUid> uids, String targetFolder);

  /**
   * Moves messages into another folder: atomically with {@link StoreCapability#MOVE}, else by
   * copy, delete and expunge.
   *
   * @throws UnsupportedOperationException without {@link StoreCapability#FOLDERS}
   * @throws MailException when the target does not exist or the server refuses
   */
  void moveTo(Collection<MessageUid> uids, String targetFolder);

  /**
   * Stores a message in this folder, for example a copy of a sent message in Sent.
   *
   * @return the new message's id when the server reports it (IMAP UIDPLUS)
   * @throws UnsupportedOperationException without {@link StoreCapability#APPEND}
   * @throws MailException when the server refuses
   */
  Optional<MessageUid> append(Message message, Set<Flag> flags);

  /** Closes the folder; POP3 applies deletions now. Idempotent. */
  @Override
  void close();
}
