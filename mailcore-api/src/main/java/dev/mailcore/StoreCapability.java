package dev.mailcore;

/**
 * What a {@link MailStore} supports beyond the common core (list, fetch, fetch new, delete,
 * watch). Ask {@link MailStore#capabilities()} before calling; a method that needs a missing
 * capability throws {@link UnsupportedOperationException} naming it.
 *
 * @since 0.1
 */
public enum StoreCapability {
  /** More folders than INBOX: list, create, rename, delete, copy between them. */
  FOLDERS,
  /** Flags and keywords on messages. */
  FLAGS,
  /** Server-side search. */
  SEARCH,
  /** Push of new mail (IMAP IDLE); without it {@link MailStore#watch} polls. */
  IDLE,
  /** Atomic move between folders (IMAP MOVE); without it move is copy, delete, expunge. */
  MOVE,
  /** Storing a message into a folder (IMAP APPEND). */
  APPEND
}
