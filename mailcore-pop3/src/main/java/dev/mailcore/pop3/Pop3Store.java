package dev.mailcore.pop3;

import dev.mailcore.Credentials;
import dev.mailcore.Folder;
import dev.mailcore.FolderInfo;
import dev.mailcore.MailStore;
import dev.mailcore.StoreCapability;
import dev.mailcore.TlsMode;
import dev.mailcore.Watch;
import dev.mailcore.internal.StoreSettings;
import dev.mailcore.pop3.internal.Pop3Config;
import dev.mailcore.pop3.internal.Pop3Session;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import javax.net.ssl.SSLContext;

/**
 * A {@link MailStore} over POP3 (RFC 1939), on Angus Mail's POP3 store: one folder, INBOX,
 * messages identified by UIDL, no flags. {@link Folder#fetchNew} with a saved {@code SyncState}
 * returns only mail not seen before ("leave messages on server"); with {@link
 * Builder#deleteAfterDownload(boolean)} what was fetched is also deleted, at QUIT when the folder
 * is closed, so a connection that drops first deletes nothing.
 *
 * <p>Listing reads headers (TOP) and, with {@link Builder#prefetchBodies(long)}, whole messages
 * (RETR) in batches; where the server lists PIPELINING (RFC 2449) these commands are pipelined on
 * a second, read-only session, so a batch costs about one round trip instead of one per message
 * ({@link Builder#pipelining(boolean)}).
 *
 * <p>Thread-safe: every {@link #open} returns an INBOX with a connection of its own. Bodies are
 * spooled to a temporary file while read, never held whole in memory. Secure by default:
 * implicit TLS on port 995, certificate and host-name checks, 30 s connect and 60 s read
 * time-outs, no password in the clear unless {@link Builder#allowPlaintext(boolean)}.
 *
 * <pre>{@code
 * try (MailStore store = Pop3Store.builder().host("pop.example.org")
 *         .credentials(Credentials.password("ana", secret)).build();
 *     Folder inbox = store.inbox()) {
 *   SyncResult r = inbox.fetchNew(saved);
 * }
 * }</pre>
 *
 * @since 0.1
 */
public final class Pop3Store implements MailStore {
  private final Pop3Session session;

  private Pop3Store(Builder b) {
    this.session = new Pop3Session(b.config());
  }

  /** Returns a new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns the empty set: POP3 has no folders, flags, search, push, move or append. */
  @Override
  public Set<StoreCapability> capabilities() {
    return Set.of();
  }

  /**
   * Opens INBOX on a connection of its own.
   *
   * @throws UnsupportedOperationException for another name (POP3 lacks FOLDERS)
   * @throws dev.mailcore.MailException when the server cannot be reached or refuses the login
   */
  @Override
  public Folder open(String folderName) {
    return session.open(Objects.requireNonNull(folderName, "folderName"));
  }

  /** Returns INBOX, the only folder. */
  @Override
  public List<FolderInfo> folders() {
    return session.folders();
  }

  /** Always throws: POP3 lacks {@link StoreCapability#FOLDERS}. */
  @Override
  public void createFolder(String name) {
    throw Pop3Session.unsupported(StoreCapability.FOLDERS, "createFolder");
  }

  /** Always throws: POP3 lacks {@link StoreCapability#FOLDERS}. */
  @Override
  public void renameFolder(String from, String to) {
    throw Pop3Session.unsupported(StoreCapability.FOLDERS, "renameFolder");
  }

  /** Always throws: POP3 lacks {@link StoreCapability#FOLDERS}. */
  @Override
  public void deleteFolder(String name) {
    throw Pop3Session.unsupported(StoreCapability.FOLDERS, "deleteFolder");
  }

  /**
   * Polls INBOX every {@link Builder#pollInterval(Duration)} on a connection and thread of its
   * own (POP3 shows each session a snapshot, so each poll logs in anew). The first poll, before
   * this returns, records what is there; later polls report what is new. A failed poll calls
   * {@link Watch.Listener#connectionLost} once, the next good one {@link
   * Watch.Listener#reconnected}. The listed messages' content can be read during {@code
   * newMail}.
   *
   * @throws UnsupportedOperationException for a folder other than INBOX
   * @throws dev.mailcore.MailException when the first poll fails
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
    return "Pop3Store{" + session + "}";
  }

  /**
   * Builds a {@link Pop3Store}. Setters validate at once; {@link #build()} checks that host and
   * credentials are set. Not thread-safe.
   */
  public static final class Builder {
    private final StoreSettings settings = new StoreSettings();
    private boolean deleteAfterDownload;
    private int fetchBatchSize = 100;
    private long prefetchBodies;
    private Duration pollInterval = Duration.ofMinutes(1);
    private boolean pipelining = true;

    private Builder() {}

    /** Sets the server's host name or address. */
    public Builder host(String host) {
      settings.host(host);
      return this;
    }

    /**
     * Sets the port; 995 for {@link TlsMode#IMPLICIT}, 110 otherwise when unset.
     *
     * @throws IllegalArgumentException when out of range
     */
    public Builder port(int port) {
      settings.port(port);
      return this;
    }

    /** Sets how the connection is secured (STARTTLS means STLS); IMPLICIT by default. */
    public Builder tls(TlsMode mode) {
      settings.tls(mode);
      return this;
    }

    /** Sets the login: a password (USER/PASS or SASL) or an OAuth 2 token source (XOAUTH2). */
    public Builder credentials(Credentials credentials) {
      settings.credentials(credentials);
      return this;
    }

    /** Sets the TLS context whose trust managers check the server's certificate. */
    public Builder sslContext(SSLContext context) {
      settings.sslContext(context);
      return this;
    }

    /** Sets the connect time-out; 30 s by default. */
    public Builder connectTimeout(Duration timeout) {
      settings.connectTimeout(timeout);
      return this;
    }

    /** Sets the read and write time-out; 60 s by default. */
    public Builder readTimeout(Duration timeout) {
      settings.readTimeout(timeout);
      return this;
    }

    /** Allows USER/PASS over a connection without TLS. Off by default. */
    public Builder allowPlaintext(boolean allow) {
      settings.allowPlaintext(allow);
      return this;
    }

    /**
     * Keeps fetched messages on the server (the default, with {@code SyncState} telling new from
     * seen) or not; the inverse of {@link #deleteAfterDownload(boolean)}.
     */
    public Builder leaveOnServer(boolean leave) {
      this.deleteAfterDownload = !leave;
      return this;
    }

    /**
     * Deletes what {@code fetchNew} returned (and what an earlier state already saw), at QUIT
     * when the folder is closed normally. Off by default.
     */
    public Builder deleteAfterDownload(boolean delete) {
      this.deleteAfterDownload = delete;
      return this;
    }

    /**
     * Sets how many messages' headers are fetched (TOP) per batch; 100 by default.
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
     * Fetches whole messages of at most {@code maxBytes} (by LIST size) while listing, with one
     * RETR each whose headers are taken from the same download instead of a TOP first; their
     * content is then read from a temporary file without another round trip. Larger messages
     * get TOP for headers and RETR when opened. 0 (the default) turns prefetching off: listing
     * costs one TOP per message and each body a RETR when opened. Use it when most bodies will
     * be read; memory stays bounded because bodies are spooled to disk.
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
     * Lets listings read a batch (headers, and bodies within {@link #prefetchBodies(long)})
     * with TOP and RETR commands pipelined (RFC 2449) on a second, read-only session, when the
     * server's CAPA lists PIPELINING; on by default. The second session logs in like the first
     * (same TLS checks and credentials), is opened on the first batch of two or more messages and
     * closed with the folder; it never deletes, so {@link #deleteAfterDownload(boolean)} still
     * acts only at the main session's QUIT. A server that refuses a second login (for example
     * {@code -ERR [IN-USE]}) or lacks PIPELINING is read one command at a time as before.
     * Pipelining makes a listing cost about one round trip per batch instead of one per message.
     */
    public Builder pipelining(boolean enabled) {
      this.pipelining = enabled;
      return this;
    }

    /**
     * Sets the polling interval of watches; 1 minute by default.
     *
     * @throws IllegalArgumentException when not positive
     */
    public Builder pollInterval(Duration interval) {
      Objects.requireNonNull(interval, "interval");
      if (interval.isNegative() || interval.isZero()) {
        throw new IllegalArgumentException("poll interval must be positive: " + interval);
      }
      this.pollInterval = interval;
      return this;
    }

    /**
     * Builds the store; it connects when a folder is opened.
     *
     * @throws IllegalStateException when host or credentials are missing
     */
    public Pop3Store build() {
      settings.check();
      return new Pop3Store(this);
    }

    private Pop3Config config() {
      return new Pop3Config(
          settings.copy(),
          deleteAfterDownload,
          fetchBatchSize,
          prefetchBodies,
          pollInterval,
          pipelining);
    }
  }
}
