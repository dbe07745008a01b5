package dev.mailcore;

import dev.mailcore.internal.Providers;
import dev.mailcore.spi.MailStoreProvider;
import java.net.URI;
import java.util.Objects;

/**
 * Opens a {@link MailStore} for a URI through the protocol modules on the class path: {@code
 * imap://}, {@code imaps://} (module {@code mailcore-imap}), {@code pop3://}, {@code pop3s://}
 * ({@code mailcore-pop3}).
 *
 * <pre>{@code
 * MailStore store = MailStores.open(URI.create("imaps://mail.example.org"),
 *     Credentials.password("ana", secret));
 * }</pre>
 *
 * @since 0.1
 */
public final class MailStores {
  private MailStores() {}

  /**
   * Opens a store.
   *
   * @throws IllegalArgumentException when no module handles the scheme; the message names the
   *     artifact to add
   * @throws MailException when the server cannot be reached or refuses the credentials
   */
  public static MailStore open(URI uri, Credentials credentials) {
    Objects.requireNonNull(uri, "uri");
    Objects.requireNonNull(credentials, "credentials");
    MailStoreProvider provider =
        Providers.find(MailStoreProvider.class, uri.getScheme(), MailStoreProvider::schemes);
    return provider.open(uri, credentials);
  }
}
