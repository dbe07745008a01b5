package dev.mailcore.spi;

import dev.mailcore.Credentials;
import dev.mailcore.MailSender;
import java.net.URI;
import java.util.Optional;
import java.util.Set;

/**
 * Opens {@link MailSender}s for URI schemes such as {@code smtp} and {@code smtps}; registered
 * through {@code ServiceLoader}. Implementations are thread-safe and have a public no-argument
 * constructor.
 *
 * @since 0.1
 */
public interface MailSenderProvider {
  /** Returns a short name, such as {@code smtp}. */
  String name();

  /** Returns the URI schemes handled, lower case. */
  Set<String> schemes();

  /**
   * Opens a sender.
   *
   * @param credentials the credentials, or empty to send without AUTH
   * @throws IllegalArgumentException when the URI is not usable
   */
  MailSender open(URI uri, Optional<Credentials> credentials);
}
