package dev.mailcore.smtp.internal;

import dev.mailcore.Credentials;
import dev.mailcore.TlsMode;
import java.net.InetAddress;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import javax.net.ssl.SSLContext;

/**
 * How an {@link SmtpSession} connects and talks: TLS mode and context, EHLO name, local address,
 * time-outs, credentials, and which extensions to use when offered. Defaults follow MTA practice
 * (RFC 5321 §4.5.3.2): connect 30 s, each command reply 5 min, the reply after the message data
 * 10 min; replies are bounded to 100 lines of 2 KiB.
 *
 * <p>Immutable and thread-safe; one instance is shared by all sessions of a pool.
 */
public final class SessionSettings {
  private final TlsMode tlsMode;
  private final SSLContext sslContext;
  private final Optional<String> ehloName;
  private final Optional<InetAddress> localAddress;
  private final Duration connectTimeout;
  private final Duration commandTimeout;
  private final Duration dataTimeout;
  private final Optional<Credentials> credentials;
  private final boolean allowPlainTextAuth;
  private final boolean pipelining;
  private final boolean chunking;
  private final int maxUnacknowledged;
  private final int maxReplyLineLength;
  private final int maxReplyLines;
  private final TranscriptLogger transcript;
  private final Optional<ScheduledExecutorService> watchdog;

  private SessionSettings(Builder b) {
    this.tlsMode = b.tlsMode;
    this.sslContext = b.sslContext;
    this.ehloName = b.ehloName;
    this.localAddress = b.localAddress;
    this.connectTimeout = b.connectTimeout;
    this.commandTimeout = b.commandTimeout;
    this.dataTimeout = b.dataTimeout;
    this.credentials = b.credentials;
    this.allowPlainTextAuth = b.allowPlainTextAuth;
    this.pipelining = b.pipelining;
    this.chunking = b.chunking;
    this.maxUnacknowledged = b.maxUnacknowledged;
    this.maxReplyLineLength = b.maxReplyLineLength;
    this.maxReplyLines = b.maxReplyLines;
    this.transcript = b.transcript;
    this.watchdog = b.watchdog;
  }

  /** Returns a builder with the defaults: STARTTLS required, JDK trust, no credentials. */
  public static Builder builder() {
    return new Builder();
  }

  public TlsMode tlsMode() {
    return tlsMode;
  }

  /** Returns the TLS context: the JDK default unless a trust manager or context was given. */
  public SSLContext sslContext() {
    if (sslContext != null) {
      return sslContext;
    }
    try {
      return SSLContext.getDefault();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no default TLS context", e);
    }
  }

  public Optional<String> ehloName() {
    return ehloName;
  }

  public Optional<InetAddress> localAddress() {
    return localAddress;
  }

  public Duration connectTimeout() {
    return connectTimeout;
  }

  public Duration commandTimeout() {
    return commandTimeout;
  }

  public Duration dataTimeout() {
    return dataTimeout;
  }

  public Optional<Credentials> credentials() {
    return credentials;
  }

  public boolean allowPlainTextAuth() {
    return allowPlainTextAuth;
  }

  public boolean pipelining() {
    return pipelining;
  }

  public boolean chunking() {
    return chunking;
  }

  /** Returns how many transactions may await their final reply at once; 1 turns streaming off. */
  public int maxUnacknowledged() {
    return maxUnacknowledged;
  }

  public int maxReplyLineLength() {
    return maxReplyLineLength;
  }

  public int maxReplyLines() {
    return maxReplyLines;
  }

  public TranscriptLogger transcript() {
    return transcript;
  }

  /** Returns the scheduler that aborts writes the peer stops reading, when one was given. */
  public Optional<ScheduledExecutorService> watchdog() {
    return watchdog;
  }

  /** Builds {@link SessionSettings}. Not thread-safe. */
  public static final class Builder {
    private TlsMode tlsMode = TlsMode.STARTTLS;
    private SSLContext sslContext;
    private Optional<String> ehloName = Optional.empty();
    private Optional<InetAddress> localAddress = Optional.empty();
    private Duration connectTimeout = Duration.ofSeconds(30);
    private Duration commandTimeout = Duration.ofMinutes(5);
    private Duration dataTimeout = Duration.ofMinutes(10);
    private Optional<Credentials> credentials = Optional.empty();
    private boolean allowPlainTextAuth;
    private boolean pipelining = true;
    private boolean chunking = true;
    private int maxUnacknowledged = 16;
    private int maxReplyLineLength = 2048;
    private int maxReplyLines = 100;
    private TranscriptLogger transcript = TranscriptLogger.slf4j();
    private Optional<ScheduledExecutorService> watchdog = Optional.empty();

    private Builder() {}

    public Builder tls(TlsMode mode) {
      this.tlsMode = Objects.requireNonNull(mode, "mode");
      return this;
    }

    /** Uses {@code context} for TLS (trust store, client certificate). */
    public Builder sslContext(SSLContext context) {
      this.sslContext = Objects.requireNonNull(context, "context");
      return this;
    }

    /** Sets the name sent in EHLO; by default the local address literal, such as {@code [192.0.2.1]}. */
    public Builder ehloName(String name) {
      Objects.requireNonNull(name, "name");
      for (int i = 0; i < name.length(); i++) {
        char c = name.charAt(i);
        if (c <= ' ' || c > '~') {
          throw new IllegalArgumentException("EHLO name has an invalid character at index " + i);
        }
      }
      this.ehloName = Optional.of(name);
      return this;
    }

    public Builder localAddress(InetAddress address) {
      this.localAddress = Optional.of(Objects.requireNonNull(address, "address"));
      return this;
    }

    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = positive(timeout, "connectTimeout");
      return this;
    }

    public Builder commandTimeout(Duration timeout) {
      this.commandTimeout = positive(timeout, "commandTimeout");
      return this;
    }

    public Builder dataTimeout(Duration timeout) {
      this.dataTimeout = positive(timeout, "dataTimeout");
      return this;
    }

    public Builder credentials(Credentials credentials) {
      this.credentials = Optional.of(Objects.requireNonNull(credentials, "credentials"));
      return this;
    }

    public Builder credentials(Optional<Credentials> credentials) {
      this.credentials = Objects.requireNonNull(credentials, "credentials");
      return this;
    }

    /** Allows AUTH on a connection without TLS; off by default. */
    public Builder allowPlainTextAuth(boolean allow) {
      this.allowPlainTextAuth = allow;
      return this;
    }

    /** Uses PIPELINING (RFC 2920) when offered; on by default. */
    public Builder pipelining(boolean use) {
      this.pipelining = use;
      return this;
    }

    /** Uses CHUNKING/BDAT (RFC 3030) when offered; on by default. */
    public Builder chunking(boolean use) {
      this.chunking = use;
      return this;
    }

    /**
     * Sets how many transactions may await their final reply at once when the server offers
     * PIPELINING and CHUNKING; 1 turns streaming off. Default 16.
     */
    public Builder maxUnacknowledged(int transactions) {
      if (transactions < 1 || transactions > 1000) {
        throw new IllegalArgumentException("maxUnacknowledged must be 1..1000: " + transactions);
      }
      this.maxUnacknowledged = transactions;
      return this;
    }

    public Builder maxReplyLineLength(int bytes) {
      if (bytes < 512) {
        throw new IllegalArgumentException("maxReplyLineLength must be at least 512 (RFC 5321)");
      }
      this.maxReplyLineLength = bytes;
      return this;
    }

    public Builder maxReplyLines(int lines) {
      if (lines < 1) {
        throw new IllegalArgumentException("maxReplyLines must be positive");
      }
      this.maxReplyLines = lines;
      return this;
    }

    public Builder transcript(TranscriptLogger transcript) {
      this.transcript = Objects.requireNonNull(transcript, "transcript");
      return this;
    }

    /** Gives a scheduler used to abort a write that the peer does not read within the time-out. */
    public Builder watchdog(ScheduledExecutorService scheduler) {
      this.watchdog = Optional.of(Objects.requireNonNull(scheduler, "scheduler"));
      return this;
    }

    public SessionSettings build() {
      return new SessionSettings(this);
    }

    private static Duration positive(Duration d, String name) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive: " + d);
      }
      return d;
    }
  }
}
