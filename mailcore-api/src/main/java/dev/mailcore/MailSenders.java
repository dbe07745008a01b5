package dev.mailcore;

import dev.mailcore.internal.Providers;
import dev.mailcore.spi.MailSenderProvider;
import java.net.URI;
import java.util.Objects;
import java.util.Optional;

/**
 * Opens a {@link MailSender} for a URI through the modules on the class path: {@code
 * smtp://host:587} (STARTTLS required) and {@code smtps://host:465} (implicit TLS), module {@code
 * mailcore-smtp}.
 *
 * @since 0.1
 */
public final class MailSenders {
  private MailSenders() {}

  /**
   * Opens a sender that authenticates with {@code credentials}.
   *
   * @throws IllegalArgumentException when no module handles the scheme; the message names the
   *     artifact to add
   */
  public static MailSender open(URI uri, Credentials credentials) {
    return open(uri, Optional.of(Objects.requireNonNull(credentials, "credentials")));
  }

  /**
   * Opens a sender, authenticating when credentials are given.
   *
   * @throws IllegalArgumentException when no module handles the scheme
   */
  public static MailSender open(URI uri, Optional<Credentials> credentials) {
    Objects.requireNonNull(uri, "uri");
    Objects.requireNonNull(credentials, "credentials");
    MailSenderProvider provider =
        Providers.find(MailSenderProvider.class, uri.getScheme(), MailSenderProvider::schemes);
    return provider.open(uri, credentials);
  }
}
