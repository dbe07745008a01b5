package dev.mailcore.imap.internal;

import dev.mailcore.Credentials;
import dev.mailcore.MailStore;
import dev.mailcore.imap.ImapStore;
import dev.mailcore.internal.StoreUris;
import dev.mailcore.spi.MailStoreProvider;
import java.net.URI;
import java.util.Objects;
import java.util.Set;

/**
 * Opens {@link ImapStore}s for {@code imap://} (STARTTLS by default) and {@code imaps://}
 * (implicit TLS). Query parameters: {@code tls} (a {@code TlsMode} name), {@code
 * allowPlaintext}, {@code batch} (fetch batch size), {@code idle} ({@code false} to poll).
 * Connects before returning, so a wrong host or password fails here. Thread-safe.
 */
public final class ImapStoreProvider implements MailStoreProvider {
  /** For ServiceLoader. */
  public ImapStoreProvider() {}

  @Override
  public String name() {
    return "imap";
  }

  @Override
  public Set<String> schemes() {
    return Set.of("imap", "imaps");
  }

  @Override
  public MailStore open(URI uri, Credentials credentials) {
    Objects.requireNonNull(uri, "uri");
    Objects.requireNonNull(credentials, "credentials");
    ImapStore.Builder b =
        ImapStore.builder()
            .host(StoreUris.host(uri))
            .tls(StoreUris.tls(uri))
            .allowPlaintext(StoreUris.allowPlaintext(uri))
            .credentials(credentials);
    StoreUris.port(uri).ifPresent(b::port);
    var query = StoreUris.query(uri);
    if (query.containsKey("batch")) {
      b.fetchBatchSize(Integer.parseInt(query.get("batch")));
    }
    if (query.containsKey("idle")) {
      b.idle(Boolean.parseBoolean(query.get("idle")));
    }
    ImapStore store = b.build();
    try {
      store.capabilities(); // connects and logs in
      return store;
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
  }
}
