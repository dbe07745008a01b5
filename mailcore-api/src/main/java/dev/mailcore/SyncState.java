package dev.mailcore;

import java.io.Serializable;
import java.util.Objects;

/**
 * What a client has already seen of a folder, so that {@link Folder#fetchNew} returns only what
 * arrived since. A small value an application stores between runs, as the string {@link
 * #encoded()} (for example in a database column) and restores with {@link #parse}.
 *
 * <p>Its content is the store's business: IMAP keeps UIDVALIDITY and the next UID, POP3 the set
 * of UIDLs seen. {@link #initial()} means "nothing seen yet".
 *
 * <p>Immutable and thread-safe.
 *
 * @since 0.1
 */
public final class SyncState implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final SyncState INITIAL = new SyncState("");

  private final String encoded;

  private SyncState(String encoded) {
    this.encoded = encoded;
  }

  /** Returns the state of a client that has seen nothing. */
  public static SyncState initial() {
    return INITIAL;
  }

  /**
   * Restores a state from {@link #encoded()}.
   *
   * @throws MailFormatException when the text has line breaks
   */
  public static SyncState parse(String encoded) {
    Objects.requireNonNull(encoded, "encoded");
    int cr = Math.max(encoded.indexOf('\r'), encoded.indexOf('\n'));
    if (cr >= 0) {
      throw new MailFormatException("sync state must be one line", cr);
    }
    return encoded.isEmpty() ? INITIAL : new SyncState(encoded);
  }

  /** Returns the state as one line of text, for storage. */
  public String encoded() {
    return encoded;
  }

  /** Returns true for {@link #initial()}. */
  public boolean isInitial() {
    return encoded.isEmpty();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SyncState s && s.encoded.equals(encoded);
  }

  @Override
  public int hashCode() {
    return encoded.hashCode();
  }

  @Override
  public String toString() {
    return "SyncState{" + (encoded.length() > 60 ? encoded.substring(0, 60) + "..." : encoded) + "}";
  }
}
