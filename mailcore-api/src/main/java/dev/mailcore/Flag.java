package dev.mailcore;

import java.util.Locale;
import java.util.Objects;

/**
 * A message flag: one of the IMAP system flags ({@code \Seen}, {@code \Answered}, {@code
 * \Flagged}, {@code \Deleted}, {@code \Draft}) or a keyword such as {@code $Important}.
 *
 * <p>Immutable and thread-safe; compare with {@link #equals}. System flags compare ignoring case.
 * Every flag is a valid IMAP atom, so it can be sent in a command as it is.
 *
 * @since 0.1
 */
public final class Flag {
  /** The message has been read. */
  public static final Flag SEEN = new Flag("\\Seen");
  /** The message has been answered. */
  public static final Flag ANSWERED = new Flag("\\Answered");
  /** The message is flagged for attention. */
  public static final Flag FLAGGED = new Flag("\\Flagged");
  /** The message is marked for deletion. */
  public static final Flag DELETED = new Flag("\\Deleted");
  /** The message is a draft. */
  public static final Flag DRAFT = new Flag("\\Draft");

  private final String name;

  private Flag(String name) {
    this.name = name;
  }

  /**
   * Returns a keyword flag (an IMAP atom without backslash).
   *
   * @throws IllegalArgumentException when it is empty or has characters an IMAP atom may not
   */
  public static Flag keyword(String keyword) {
    Objects.requireNonNull(keyword, "keyword");
    if (keyword.isEmpty()) {
      throw new IllegalArgumentException("keyword is empty");
    }
    checkAtom(keyword, 0);
    return new Flag(keyword);
  }

  /** Checks that {@code name} from {@code start} on is an IMAP atom (RFC 3501 §9). */
  private static void checkAtom(String name, int start) {
    for (int i = start; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c <= 32 || c >= 127 || "(){%*\"\\]".indexOf(c) >= 0) {
        throw new IllegalArgumentException("flag has a character IMAP forbids at index " + i);
      }
    }
  }

  /**
   * Returns the flag for its IMAP name: a system flag for {@code \Seen} and the like, else a
   * keyword.
   *
   * @throws IllegalArgumentException when the name is not a valid flag (empty, or with a
   *     character an IMAP atom may not have, such as a space, parenthesis, CR or LF)
   * @throws NullPointerException when the name is null
   */
  public static Flag of(String name) {
    Objects.requireNonNull(name, "name");
    for (Flag f : new Flag[] {SEEN, ANSWERED, FLAGGED, DELETED, DRAFT}) {
      if (f.name.equalsIgnoreCase(name)) {
        return f;
      }
    }
    if (name.startsWith("\\")) {
      // RFC 3501 flag-extension is "\" atom, and "\*" stands for "may create keywords"
      if (!name.equals("\\*")) {
        if (name.length() == 1) {
          throw new IllegalArgumentException("system flag name is empty");
        }
        checkAtom(name, 1);
      }
      return new Flag(name);
    }
    return keyword(name);
  }

  /** Returns the IMAP name, such as {@code \Seen} or {@code $Important}. */
  public String name() {
    return name;
  }

  /** Returns true for a system flag (name starting with a backslash). */
  public boolean isSystem() {
    return name.startsWith("\\");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Flag f
        && (isSystem() ? name.equalsIgnoreCase(f.name) : name.equals(f.name));
  }

  @Override
  public int hashCode() {
    return isSystem() ? name.toLowerCase(Locale.ROOT).hashCode() : name.hashCode();
  }

  @Override
  public String toString() {
    return name;
  }
}
