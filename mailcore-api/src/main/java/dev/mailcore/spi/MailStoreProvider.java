package dev.mailcore.spi;

import dev.mailcore.Credentials;
import dev.mailcore.MailStore;
import java.net.URI;
import java.util.Set;

/**
 * Opens {@link MailStore}s for URI schemes; protocol modules register one through {@code
 * ServiceLoader} ({@code provides ... with} in {@code module-info} and {@code
 * META-INF/services}). Implementations are thread-safe and have a public no-argument
 * constructor.
 *
 * @since 0.1
 */
public interface MailStoreProvider {
  /** Returns a short name, such as {@code imap}. */
  String name();

  /** Returns the URI schemes handled, lower case, such as {@code imap} and {@code imaps}. */
  Set<String> schemes();

  /**
   * Opens a store. The URI names host, optional port and user; query parameters are documented
   * by each provider.
   *
   * @throws IllegalArgumentException when the URI is not usable
   * @throws dev.mailcore.MailException when the server cannot be reached or refuses the
   *     credentials
   */
  MailStore open(URI uri, Credentials credentials);
}
