package dev.mailcore.pop3.internal;

import dev.mailcore.Credentials;
import dev.mailcore.MailStore;
import dev.mailcore.internal.StoreUris;
import dev.mailcore.pop3.Pop3Store;
import dev.mailcore.spi.MailStoreProvider;
import java.net.URI;
import java.util.Objects;
import java.util.Set;

/**
 * Opens {@link Pop3Store}s for {@code pop3://} (STLS by default) and {@code pop3s://} (implicit
 * TLS). Query parameters: {@code tls} (a {@code TlsMode} name), {@code allowPlaintext}, {@code
 * deleteAfterDownload}. Logs in once before returning, so a wrong host or password fails here.
 * Thread-safe.
 */
public final class Pop3StoreProvider implements MailStoreProvider {
  /** For ServiceLoader. */
  public Pop3StoreProvider() {}

  @Override
  public String name() {
    return "pop3";
  }

  @Override
  public Set<String> schemes() {
    return Set.of("pop3", "pop3s");
  }

  @Override
  public MailStore open(URI uri, Credentials credentials) {
    Objects.requireNonNull(uri, "uri");
    Objects.requireNonNull(credentials, "credentials");
    Pop3Store.Builder b =
        Pop3Store.builder()
            .host(StoreUris.host(uri))
            .tls(StoreUris.tls(uri))
            .allowPlaintext(StoreUris.allowPlaintext(uri))
            .deleteAfterDownload(
                Boolean.parseBoolean(StoreUris.query(uri).get("deleteAfterDownload")))
            .credentials(credentials);
    StoreUris.port(uri).ifPresent(b::port);
    Pop3Store store = b.build();
    try {
      store.inbox().close(); // logs in once
      return store;
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
  }
}
