package dev.mailcore;

import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Criteria for {@link Folder#search}: every criterion set must match (AND). Text criteria match a
 * case-insensitive substring, as IMAP SEARCH does.
 *
 * <pre>{@code
 * SearchQuery q = SearchQuery.builder().from("ana@shop.example").unseen().build();
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 *
 * @since 0.1
 */
public final class SearchQuery {
  private final String from;
  private final String to;
  private final String subject;
  private final Instant since;
  private final Instant before;
  private final boolean unseen;
  private final long largerThan;

  private SearchQuery(Builder b) {
    this.from = b.from;
    this.to = b.to;
    this.subject = b.subject;
    this.since = b.since;
    this.before = b.before;
    this.unseen = b.unseen;
    this.largerThan = b.largerThan;
  }

  /** Returns a new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns the substring the From header must contain. */
  public Optional<String> from() {
    return Optional.ofNullable(from);
  }

  /** Returns the substring a To header must contain. */
  public Optional<String> to() {
    return Optional.ofNullable(to);
  }

  /** Returns the substring the subject must contain. */
  public Optional<String> subject() {
    return Optional.ofNullable(subject);
  }

  /** Returns the earliest received instant (inclusive). */
  public Optional<Instant> since() {
    return Optional.ofNullable(since);
  }

  /** Returns the instant messages must have been received before (exclusive). */
  public Optional<Instant> before() {
    return Optional.ofNullable(before);
  }

  /** Returns true when only messages without {@link Flag#SEEN} match. */
  public boolean unseen() {
    return unseen;
  }

  /** Returns the size in bytes that messages must exceed. */
  public OptionalLong largerThan() {
    return largerThan >= 0 ? OptionalLong.of(largerThan) : OptionalLong.empty();
  }

  /**
   * Evaluates the query against a message's listed fields, for stores that search on the client.
   * Date criteria compare the received date, day precision is not applied.
   */
  public boolean matches(StoredMessage m) {
    if (from != null && !contains(m.header("From").orElse(""), from)) {
      return false;
    }
    if (to != null && !contains(m.header("To").orElse(""), to)) {
      return false;
    }
    if (subject != null && !contains(m.subject().orElse(""), subject)) {
      return false;
    }
    if (since != null && m.receivedDate().map(d -> d.isBefore(since)).orElse(true)) {
      return false;
    }
    if (before != null && m.receivedDate().map(d -> !d.isBefore(before)).orElse(true)) {
      return false;
    }
    if (unseen && m.flags().contains(Flag.SEEN)) {
      return false;
    }
    return largerThan < 0 || m.size() > largerThan;
  }

  private static boolean contains(String haystack, String needle) {
    return haystack.toLowerCase(Locale.ROOT).contains(needle.toLowerCase(Locale.ROOT));
  }

  @Override
  public String toString() {
    return "SearchQuery{from=" + from + ", to=" + to + ", subject=" + subject + ", since=" + since
        + ", before=" + before + ", unseen=" + unseen + ", largerThan=" + largerThan + "}";
  }

  /** Builds a {@link SearchQuery}. Not thread-safe. */
  public static final class Builder {
    private String from;
    private String to;
    private String subject;
    private Instant since;
    private Instant before;
    private boolean unseen;
    private long largerThan = -1;

    private Builder() {}

    /** Matches messages whose From contains {@code text}. */
    public Builder from(String text) {
      this.from = Objects.requireNonNull(text, "text");
      return this;
    }

    /** Matches messages whose To contains {@code text}. */
    public Builder to(String text) {
      this.to = Objects.requireNonNull(text, "text");
      return this;
    }

    /** Matches messages whose subject contains {@code text}. */
    public Builder subject(String text) {
      this.subject = Objects.requireNonNull(text, "text");
      return this;
    }

    /** Matches messages received at or after {@code instant}. */
    public Builder since(Instant instant) {
      this.since = Objects.requireNonNull(instant, "instant");
      return this;
    }

    /** Matches messages received before {@code instant}. */
    public Builder before(Instant instant) {
      this.before = Objects.requireNonNull(instant, "instant");
      return this;
    }

    /** Matches only messages without {@link Flag#SEEN}. */
    public Builder unseen() {
      this.unseen = true;
      return this;
    }

    /**
     * Matches messages larger than {@code bytes}.
     *
     * @throws IllegalArgumentException when negative
     */
    public Builder largerThan(long bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("size must not be negative");
      }
      this.largerThan = bytes;
      return this;
    }

    /** Builds the query. */
    public SearchQuery build() {
      return new SearchQuery(this);
    }
  }
}
