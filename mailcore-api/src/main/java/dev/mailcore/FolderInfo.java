package dev.mailcore;

import java.util.Objects;
import java.util.Optional;

/**
 * A folder of a {@link MailStore}, as listed: its full name and its special-use role (RFC 6154)
 * when the server names one.
 *
 * @param name the full name, with the server's hierarchy delimiter, such as {@code Archive/2026}
 * @param role the special use, when known
 * @since 0.1
 */
public record FolderInfo(String name, Optional<Role> role) {

  /** Special-use roles of folders (RFC 6154), plus INBOX. */
  public enum Role {
    /** The inbox. */
    INBOX,
    /** Sent messages. */
    SENT,
    /** Drafts. */
    DRAFTS,
    /** Deleted messages. */
    TRASH,
    /** Spam. */
    JUNK,
    /** Archived messages. */
    ARCHIVE,
    /** A virtual folder with all messages. */
    ALL,
    /** A virtual folder with flagged messages. */
    FLAGGED
  }

  /** Validates. */
  public FolderInfo {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(role, "role");
  }
}
