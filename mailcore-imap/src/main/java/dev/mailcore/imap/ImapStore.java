package dev.mailcore.imap;

import dev.mailcore.Credentials;
import dev.mailcore.Folder;
import dev.mailcore.FolderInfo;
import dev.mailcore.MailStore;
import dev.mailcore.StoreCapability;
import dev.mailcore.TlsMode;
import dev.mailcore.Watch;
import dev.mailcore.imap.internal.ImapConfig;
import dev.mailcore.imap.internal.ImapSession;
import dev.mailcore.internal.StoreSettings;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import javax.net.ssl.SSLContext;

/**
 * A {@link MailStore} over IMAP (RFC 3501 / 9051), on Angus Mail's IMAP store: folders with
 * special-use roles, flags and keywords, server-side search, copy and move, append, UIDVALIDITY
 * aware sync and IDLE push with automatic reconnect.
 *
 * <p>Thread-safe: every {@link #open} returns a folder with a connection of its own for the
 * calling thread; folder management runs on a shared connection. The store connects on first
 * use and {@link #close()} releases every connection, open folders and watches included.
 *
 * <p>Secure by default: implicit TLS on port 993 with certificate and host-name checks, 30 s
 * connect and 60 s read time-outs, no password in the clear unless {@link
 * Builder#allowPlaintext(boolean)}.
 *
 * <pre>{@code
 * try (MailStore store = ImapStore.builder().host("imap.example.org")
 *         .credentials(Credentials.password("ana", secret)).build();
 *     Folder inbox = store.inbox()) {
 *   SyncResult r = inbox.fetchNew(saved);
 * }
 * }</pre>
 *
 * @since 0.1
 */
public final class ImapStore implements MailStore {
  private final ImapSession session;

  private ImapStore(Builder b) {
    this.session = new ImapSession(b.config());
  }

  /** Returns a new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns FOLDERS, FLAGS, SEARCH and APPEND, plus IDLE and MOVE when the server advertises
   * them (and IDLE is enabled). Connects when not yet connected.
   *
   * @throws dev.mailcore.MailException when the server cannot be reached or refuses the login
   */
  @Override
  public Set<StoreCapability> capabilities() {
    return session.capabilities();
  }

  /**
   * {@inheritDoc}
   *
   * @throws dev.mailcore.MailException when the folder does not exist or the server cannot be
   *     reached
   */
  @Override
  public Folder open(String folderName) {
    return session.open(Objects.requireNonNull(folderName, "folderName"));
  }

  /**
   * Lists every folder with its special-use role from the LIST attributes (RFC 6154).
   *
   * @throws dev.mailcore.MailException when the server cannot be asked
   */
  @Override
  public List<FolderInfo> folders() {
    return session.folders();
  }

  /**
   * {@inheritDoc}
   *
   * @throws dev.mailcore.MailException when it exists already or the server refuses
   */
  @Override
  public void createFolder(String name) {
    session.createFolder(Objects.requireNonNull(name, "name"));
  }

  /**
   * {@inheritDoc}
   *
   * @throws dev.mailcore.MailException when the folder does not exist or the server refuses
   */
  @Override
  public void renameFolder(String from, String to) {
    session.renameFolder(Objects.requireNonNull(from, "from"), Objects.requireNonNull(to, "to"));
  }

  /**
   * {@inheritDoc}
   *
   * @throws dev.mailcore.MailException when the folder does not exist or the server refuses
   */
  @Override
  public void deleteFolder(String name) {
    session.deleteFolder(Objects.requireNonNull(name, "name"));
  }

  /**
   * Watches a folder on a connection and thread of its own: IDLE when enabled and advertised
   * (re-armed before the 29-minute limit of RFC 2177, with a NOOP that also detects a silent
   * connection within the read time-out), NOOP polling otherwise. After a drop it reconnects
   * with doubling back-off ({@link Builder#reconnectDelay}), calling {@link
   * Watch.Listener#connectionLost} and {@link Watch.Listener#reconnected}; mail that arrived
   * meanwhile is reported after the reconnect. The NOOPs, polls and reconnect attempts run on
   * the {@link Builder#scheduler scheduler}, so tests can drive them with a manual one.
   * The listed messages' content can be read during the {@code newMail} call.
   *
   * @throws dev.mailcore.MailException when the folder cannot be opened
   */
  @Override
  public Watch watch(String folderName, Watch.Listener listener) {
    return session.watch(
        Objects.requireNonNull(folderName, "folderName"),
        Objects.requireNonNull(listener, "listener"));
  }

  @Override
  public void close() {
    session.close();
  }

  @Override
  public String toString() {
    return "ImapStore{" + session + "}";
  }

  /**
   * Builds an {@link ImapStore}. Setters validate at once; {@link #build()} checks that host
   * and credentials are set. Not thread-safe.
   */
  public static final class Builder {
    private final StoreSettings settings = new StoreSettings();
    private int fetchBatchSize = 100;
    private long prefetchBodies;
    private boolean idle = true;
    private Duration idleRearm = Duration.ofMinutes(25);
    private Duration pollInterval = Duration.ofMinutes(1);
    private Duration reconnectDelay = Duration.ofSeconds(1);
    private Duration maxReconnectDelay = Duration.ofMinutes(5);
    private int prefetchBatchMessages = 1000;
    private long prefetchBatchBytes = 8L << 20;
    private Clock clock = Clock.systemUTC();
    private ScheduledExecutorService scheduler;

    private Builder() {}

    /** Sets the server's host name or address. */
    public Builder host(String host) {
      settings.host(host);
      return this;
    }

    /**
     * Sets the port; 993 for {@link TlsMode#IMPLICIT}, 143 otherwise when unset.
     *
     * @throws IllegalArgumentException when out of range
     */
    public Builder port(int port) {
      settings.port(port);
      return this;
    }

    /** Sets how the connection is secured; {@link TlsMode#IMPLICIT} by default. */
    public Builder tls(TlsMode mode) {
      settings.tls(mode);
      return this;
    }

    /** Sets the login: a password, or an OAuth 2 token source (SASL XOAUTH2). */
    public Builder credentials(Credentials credentials) {
      settings.credentials(credentials);
      return this;
    }

    /**
     * Sets the TLS context whose trust managers check the server's certificate (for a private
     * CA); the JDK's default trust otherwise. Host names are checked either way.
     */
    public Builder sslContext(SSLContext context) {
      settings.sslContext(context);
      return this;
    }

    /** Sets the connect time-out; 30 s by default. */
    public Builder connectTimeout(Duration timeout) {
      settings.connectTimeout(timeout);
      return this;
    }

    /** Sets the read and write time-out; 60 s by default. A watch's NOOP fires within it. */
    public Builder readTimeout(Duration timeout) {
      settings.readTimeout(timeout);
      return this;
    }

    /**
     * Allows LOGIN over a connection without TLS ({@link TlsMode#NONE}, or {@link
     * TlsMode#STARTTLS_IF_OFFERED} against a server without STARTTLS). Off by default.
     */
    public Builder allowPlaintext(boolean allow) {
      settings.allowPlaintext(allow);
      return this;
    }

    /**
     * Sets how many messages' headers one FETCH asks for; 100 by default.
     *
     * @throws IllegalArgumentException when not positive
     */
    public Builder fetchBatchSize(int size) {
      if (size < 1) {
        throw new IllegalArgumentException("fetch batch size must be positive: " + size);
      }
      this.fetchBatchSize = size;
      return this;
    }

    /**
     * Fetches whole messages of at most {@code maxBytes} while listing, with their listed fields,
     * in batches of {@link #prefetchBatch} (one round trip per batch instead of one per message);
     * larger ones are still streamed on demand. A listed message holds its bytes until it is
     * dropped, so a listing holds at most one batch of bodies the caller has not yet passed.
     * Off (0) by default: use it when every listed message will be read.
     *
     * @throws IllegalArgumentException when negative
     */
    public Builder prefetchBodies(long maxBytes) {
      if (maxBytes < 0) {
        throw new IllegalArgumentException("prefetch limit must not be negative: " + maxBytes);
      }
      this.prefetchBodies = maxBytes;
      return this;
    }

    /**
     * Bounds one batch of {@link #prefetchBodies prefetched} bodies: at most {@code maxMessages}
     * messages and about {@code maxBytes} bytes (by the sizes the server reports; a batch always
     * takes at least one message); 1000 messages and 8 MiB by default.
     *
     * @throws IllegalArgumentException when either is not positive
     */
    public Builder prefetchBatch(int maxMessages, long maxBytes) {
      if (maxMessages < 1 || maxBytes < 1) {
        throw new IllegalArgumentException(
            "prefetch batch limits must be positive: " + maxMessages + " messages, " + maxBytes
                + " bytes");
      }
      this.prefetchBatchMessages = maxMessages;
      this.prefetchBatchBytes = maxBytes;
      return this;
    }

    /** Turns IDLE push on (default) or off; off, or without server support, watches poll. */
    public Builder idle(boolean enabled) {
      this.idle = enabled;
      return this;
    }

    /**
     * Sets how long one IDLE runs before it is re-armed; 25 minutes by default.
     *
     * @throws IllegalArgumentException unless positive and below 29 minutes (RFC 2177)
     */
    public Builder idleRearm(Duration interval) {
      Objects.requireNonNull(interval, "interval");
      if (interval.isNegative() || interval.isZero() || interval.compareTo(Duration.ofMinutes(29)) >= 0) {
        throw new IllegalArgumentException("IDLE re-arm interval must be in (0, 29 min): " + interval);
      }
      this.idleRearm = interval;
      return this;
    }

    /**
     * Sets the polling interval of watches without IDLE; 1 minute by default.
     *
     * @throws IllegalArgumentException when not positive
     */
    public Builder pollInterval(Duration interval) {
      this.pollInterval = ImapConfig.positive(interval, "pollInterval");
      return this;
    }

    /**
     * Sets the first delay before a watch reconnects (doubling after each failure) and its cap;
     * 1 s and 5 minutes by default. The delay starts again from {@code first} only after a
     * connection stayed up for {@code max}: a server that accepts and drops at once is not
     * retried every {@code first}.
     *
     * @throws IllegalArgumentException when not positive or first exceeds max
     */
    public Builder reconnectDelay(Duration first, Duration max) {
      ImapConfig.positive(first, "first");
      ImapConfig.positive(max, "max");
      if (first.compareTo(max) > 0) {
        throw new IllegalArgumentException("first reconnect delay exceeds the maximum");
      }
      this.reconnectDelay = first;
      this.maxReconnectDelay = max;
      return this;
    }

    /**
     * Sets the clock that measures how long a watch's connection stayed up (see {@link
     * #reconnectDelay}); the system UTC clock by default.
     */
    public Builder clock(Clock value) {
      this.clock = Objects.requireNonNull(value, "clock");
      return this;
    }

    /**
     * Sets the scheduler that runs watches' timed work: the keep-alive NOOP that re-arms IDLE and
     * detects a dead connection, polls without IDLE, and the reconnect attempts after a drop
     * (which block for up to the connect time-out, so give it a thread per busy watch). The store
     * does not shut it down. Default: a daemon thread of each watch's own.
     */
    public Builder scheduler(ScheduledExecutorService value) {
      this.scheduler = Objects.requireNonNull(value, "scheduler");
      return this;
    }

    /**
     * Builds the store; it connects on first use.
     *
     * @throws IllegalStateException when host or credentials are missing
     */
    public ImapStore build() {
      settings.check();
      return new ImapStore(this);
    }

    private ImapConfig config() {
      return new ImapConfig(
          settings.copy(),
          fetchBatchSize,
          prefetchBodies,
          idle,
          idleRearm,
          pollInterval,
          reconnectDelay,
          maxReconnectDelay,
          prefetchBatchMessages,
          prefetchBatchBytes,
          clock,
          scheduler);
    }
  }
}
