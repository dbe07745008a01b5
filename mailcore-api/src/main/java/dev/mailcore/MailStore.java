package dev.mailcore;

import java.util.List;
import java.util.Set;

/**
 * A mailbox server to read mail from, the same whichever protocol it speaks: IMAP (mail stays on
 * the server, in folders with flags) or POP3 (one INBOX, download and optionally delete).
 *
 * <p>Obtain one with {@link MailStores#open} or a protocol module's builder ({@code ImapStore},
 * {@code Pop3Store}). Ask {@link #capabilities()} before calling what not every protocol offers.
 *
 * <p>Thread-safe: each {@link #open} returns a folder for the calling thread. Close the store to
 * release every connection.
 *
 * <pre>{@code
 * try (MailStore store = MailStores.open(URI.create("imaps://mail.example.org"), credentials);
 *     Folder inbox = store.inbox()) {
 *   inbox.list().forEach(m -> System.out.println(m.subject().orElse("")));
 * }
 * }</pre>
 *
 * @since 0.1
 */
public interface MailStore extends AutoCloseable {

  /** The name every store has for the inbox. */
  String INBOX = "INBOX";

  /** Returns what this store supports beyond the common core. */
  Set<StoreCapability> capabilities();

  /** Returns true when the store has {@code capability}. */
  default boolean has(StoreCapability capability) {
    return capabilities().contains(capability);
  }

  /**
   * Opens a folder for reading and writing.
   *
   * @throws MailException when the folder does not exist or the server cannot be reached
   * @throws UnsupportedOperationException for a folder other than INBOX without {@link
   *     StoreCapability#FOLDERS}
   */
  Folder open(String folderName);

  /**
   * Opens INBOX.
   *
   * @throws MailException when the server cannot be reached
   */
  default Folder inbox() {
    return open(INBOX);
  }

  /**
   * Lists the folders; POP3 has only INBOX.
   *
   * @throws MailException when the server cannot be asked
   */
  List<FolderInfo> folders();

  /**
   * Creates a folder.
   *
   * @throws UnsupportedOperationException without {@link StoreCapability#FOLDERS}
   * @throws MailException when it exists already or the server refuses
   */
  void createFolder(String name);

  /**
   * Renames a folder.
   *
   * @throws UnsupportedOperationException without {@link StoreCapability#FOLDERS}
   * @throws MailException when the server refuses
   */
  void renameFolder(String from, String to);

  /**
   * Deletes a folder and its messages.
   *
   * @throws UnsupportedOperationException without {@link StoreCapability#FOLDERS}
   * @throws MailException when the server refuses
   */
  void deleteFolder(String name);

  /**
   * Watches a folder for new mail on a connection and thread of its own: IMAP IDLE when the
   * store has {@link StoreCapability#IDLE}, polling otherwise. The watch reconnects by itself
   * after a drop and detects a silent connection within its time-out.
   *
   * @throws MailException when the folder cannot be opened
   */
  Watch watch(String folderName, Watch.Listener listener);

  /** Closes every connection of the store, including open folders and watches. Idempotent. */
  @Override
  void close();
}
