package dev.mailcore.smtp.internal;

import dev.mailcore.Credentials;
import dev.mailcore.MailSender;
import dev.mailcore.TlsMode;
import dev.mailcore.smtp.SmtpRelay;
import dev.mailcore.spi.MailSenderProvider;
import java.net.URI;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Opens an {@link SmtpRelay} for {@code smtp://host[:port]} (STARTTLS required, port 587 by
 * default) and {@code smtps://host[:port]} (implicit TLS, port 465), found by {@code
 * MailSenders.open} through {@code ServiceLoader}.
 *
 * <p>Stateless and thread-safe.
 */
public final class SmtpSenderProvider implements MailSenderProvider {

  /** Creates the provider; called by {@code ServiceLoader}. */
  public SmtpSenderProvider() {}

  @Override
  public String name() {
    return "smtp";
  }

  @Override
  public Set<String> schemes() {
    return Set.of("smtp", "smtps");
  }

  /**
   * Opens a relay sender.
   *
   * @throws IllegalArgumentException when the scheme is not smtp/smtps or the URI has no host
   */
  @Override
  public MailSender open(URI uri, Optional<Credentials> credentials) {
    Objects.requireNonNull(uri, "uri");
    Objects.requireNonNull(credentials, "credentials");
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!schemes().contains(scheme)) {
      throw new IllegalArgumentException("not an smtp or smtps URI: " + uri.getScheme());
    }
    if (uri.getHost() == null) {
      throw new IllegalArgumentException("the URI names no host: smtp://host[:port] expected");
    }
    SmtpRelay.Builder builder =
        SmtpRelay.builder()
            .host(uri.getHost())
            .tls(scheme.equals("smtps") ? TlsMode.IMPLICIT : TlsMode.STARTTLS);
    if (uri.getPort() > 0) {
      builder.port(uri.getPort());
    }
    credentials.ifPresent(builder::credentials);
    return builder.build();
  }
}
