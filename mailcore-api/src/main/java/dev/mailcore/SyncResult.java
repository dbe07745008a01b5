package dev.mailcore;

import java.util.List;
import java.util.Objects;

/**
 * What {@link Folder#fetchNew} found: the messages new since the given state, and the state to
 * save for next time.
 *
 * @param messages the new messages, oldest first, with headers listed and content fetched lazily
 * @param next the state to pass to the next {@code fetchNew}
 * @param reset true when the server invalidated the old state (IMAP UIDVALIDITY changed), so
 *     every message counts as new
 * @since 0.1
 */
public record SyncResult(List<StoredMessage> messages, SyncState next, boolean reset) {
  /** Validates and copies. */
  public SyncResult {
    messages = List.copyOf(messages);
    Objects.requireNonNull(next, "next");
  }
}
