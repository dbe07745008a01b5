package dev.mailcore.internal;

import dev.mailcore.Credentials;
import dev.mailcore.MailAuthenticationException;
import dev.mailcore.TlsMode;
import java.time.Duration;
import java.util.Objects;
import java.util.Properties;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;

/**
 * Connection settings shared by the IMAP and POP3 store builders, and their translation into
 * Angus Mail session properties. Mutable while a builder fills it in; {@link #copy()} freezes a
 * snapshot for the built store. Not thread-safe.
 */
public final class StoreSettings {
  /** Default connect time-out: Angus waits forever unless told. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(30);
  /** Default read (and write) time-out. */
  public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(60);

  private String host;
  private int port = -1;
  private TlsMode tls = TlsMode.IMPLICIT;
  private Credentials credentials;
  private SSLContext sslContext;
  private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
  private Duration readTimeout = DEFAULT_READ_TIMEOUT;
  private boolean allowPlaintext;

  /** Sets the host name or address. */
  public void host(String value) {
    Objects.requireNonNull(value, "host");
    if (value.isBlank()) {
      throw new IllegalArgumentException("host is empty");
    }
    this.host = value;
  }

  /** Sets the port, 1 to 65535. */
  public void port(int value) {
    if (value < 1 || value > 65535) {
      throw new IllegalArgumentException("port out of range 1..65535: " + value);
    }
    this.port = value;
  }

  /** Sets the TLS mode. */
  public void tls(TlsMode value) {
    this.tls = Objects.requireNonNull(value, "tls");
  }

  /** Sets the credentials. */
  public void credentials(Credentials value) {
    this.credentials = Objects.requireNonNull(value, "credentials");
  }

  /** Sets the TLS context (trust and key managers); the JDK default when unset. */
  public void sslContext(SSLContext value) {
    this.sslContext = Objects.requireNonNull(value, "sslContext");
  }

  /** Sets the connect time-out, positive. */
  public void connectTimeout(Duration value) {
    this.connectTimeout = positive(value, "connectTimeout");
  }

  /** Sets the read and write time-out, positive. */
  public void readTimeout(Duration value) {
    this.readTimeout = positive(value, "readTimeout");
  }

  /** Allows authenticating over an unencrypted connection. */
  public void allowPlaintext(boolean value) {
    this.allowPlaintext = value;
  }

  /** Returns the host. */
  public String host() {
    return host;
  }

  /** Returns the port, or {@code defaultPort} for the TLS mode when unset. */
  public int port(int implicitTlsPort, int plainPort) {
    if (port > 0) {
      return port;
    }
    return tls == TlsMode.IMPLICIT ? implicitTlsPort : plainPort;
  }

  /** Returns the TLS mode. */
  public TlsMode tls() {
    return tls;
  }

  /** Returns the credentials. */
  public Credentials credentials() {
    return credentials;
  }

  /** Returns the read time-out. */
  public Duration readTimeout() {
    return readTimeout;
  }

  /** Returns the connect time-out. */
  public Duration connectTimeout() {
    return connectTimeout;
  }

  /** Returns whether authenticating without TLS was allowed. */
  public boolean allowsPlaintext() {
    return allowPlaintext;
  }

  /**
   * Returns the TLS socket factory of the configured context, or the JDK default: for a
   * protocol client of our own that must check certificates exactly as the Angus stores do.
   */
  public SSLSocketFactory tlsSocketFactory() {
    return sslContext != null
        ? sslContext.getSocketFactory()
        : (SSLSocketFactory) SSLSocketFactory.getDefault();
  }

  /**
   * Checks the cross-field rules of {@code build()}.
   *
   * @throws IllegalStateException when host or credentials are missing
   */
  public void check() {
    if (host == null) {
      throw new IllegalStateException("host is not set");
    }
    if (credentials == null) {
      throw new IllegalStateException("credentials are not set");
    }
  }

  /** Returns an independent copy. */
  public StoreSettings copy() {
    StoreSettings c = new StoreSettings();
    c.host = host;
    c.port = port;
    c.tls = tls;
    c.credentials = credentials;
    c.sslContext = sslContext;
    c.connectTimeout = connectTimeout;
    c.readTimeout = readTimeout;
    c.allowPlaintext = allowPlaintext;
    return c;
  }

  /** Returns the Angus protocol name: {@code imaps} for implicit TLS, else {@code imap}. */
  public String protocol(String plain) {
    return tls == TlsMode.IMPLICIT ? plain + "s" : plain;
  }

  /**
   * Refuses to send a password in the clear unless allowed (STYLE rule 31).
   *
   * @throws MailAuthenticationException when TLS is off and plain text was not allowed
   */
  public void checkPlaintextAllowed() {
    if (tls == TlsMode.NONE && !allowPlaintext) {
      throw new MailAuthenticationException(
          "refusing to authenticate to " + host + " without TLS; choose a TLS mode or call"
              + " allowPlaintext(true)",
          false,
          null);
    }
  }

  /**
   * Returns the Angus session properties for {@code protocol} ({@code imap}, {@code imaps},
   * {@code pop3}, {@code pop3s}): time-outs, TLS with host-name checks, STARTTLS as the mode
   * says, and SASL XOAUTH2 for token credentials. Property names as documented in the {@code
   * org.eclipse.angus.mail.imap} and {@code .pop3} package summaries.
   */
  public Properties properties(String protocol) {
    String p = "mail." + protocol + ".";
    Properties props = new Properties();
    props.setProperty(p + "host", host);
    props.setProperty(p + "connectiontimeout", Long.toString(connectTimeout.toMillis()));
    props.setProperty(p + "timeout", Long.toString(readTimeout.toMillis()));
    props.setProperty(p + "writetimeout", Long.toString(readTimeout.toMillis()));
    props.setProperty(p + "ssl.checkserveridentity", "true");
    GuardedSockets.install(
        props, protocol, tlsSocketFactory(), protocol.startsWith("imap"), readTimeout);
    switch (tls) {
      case IMPLICIT -> props.setProperty(p + "ssl.enable", "true");
      case STARTTLS -> {
        props.setProperty(p + "starttls.enable", "true");
        props.setProperty(p + "starttls.required", "true");
      }
      case STARTTLS_IF_OFFERED -> {
        props.setProperty(p + "starttls.enable", "true");
        // without TLS the password would travel in the clear: only tolerate that when allowed
        props.setProperty(p + "starttls.required", Boolean.toString(!allowPlaintext));
      }
      case NONE -> props.setProperty(p + "starttls.enable", "false");
    }
    if (credentials != null && credentials.isOAuth2()) {
      props.setProperty(p + "auth.mechanisms", "XOAUTH2");
    }
    return props;
  }

  /**
   * Returns an Angus session over {@code props}, its debug output going to {@code transcript} at
   * TRACE (redacted) when that is enabled.
   */
  public static jakarta.mail.Session session(Properties props, org.slf4j.Logger transcript) {
    jakarta.mail.Session session = jakarta.mail.Session.getInstance(props);
    if (transcript.isTraceEnabled()) {
      session.setDebugOut(Transcript.to(transcript));
      session.setDebug(true);
    }
    return session;
  }

  /**
   * Logs {@code store} in with these credentials; an OAuth 2 token the server refuses is
   * replaced by a fresh one once, as {@link Credentials} documents.
   */
  public void connect(jakarta.mail.Service store, int port) throws jakarta.mail.MessagingException {
    checkPlaintextAllowed();
    try {
      store.connect(host, port, credentials.username(), credentials.secret());
    } catch (jakarta.mail.AuthenticationFailedException e) {
      if (!credentials.isOAuth2()) {
        throw e;
      }
      store.connect(host, port, credentials.username(), credentials.secret());
    }
  }

  private static Duration positive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive: " + d);
    }
    if (d.toMillis() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(name + " too long: " + d);
    }
    return d;
  }
}
