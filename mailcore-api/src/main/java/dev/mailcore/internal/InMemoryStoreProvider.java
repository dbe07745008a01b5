package dev.mailcore.internal;

import dev.mailcore.Credentials;
import dev.mailcore.MailStore;
import dev.mailcore.StoreCapability;
import dev.mailcore.spi.MailStoreProvider;
import dev.mailcore.testing.InMemoryMailStore;
import java.net.URI;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Opens {@link InMemoryMailStore}s for {@code memory:} URIs, so code that takes a store URI can be
 * pointed at a fake: {@code memory://test} (any name, or the opaque {@code memory:test}) opens a
 * new, empty store with every capability; {@code memory://test?capabilities=FLAGS,SEARCH} one with
 * just those (an empty value: none, like POP3). Each call opens a new store, since a process-wide
 * registry of named stores would be global state; tests deliver into it by casting the result to
 * {@link InMemoryMailStore}. Credentials are not checked. Thread-safe and stateless.
 */
public final class InMemoryStoreProvider implements MailStoreProvider {
  private static final String CAPABILITIES = "capabilities=";

  /** Creates the provider; called by {@link java.util.ServiceLoader}. */
  public InMemoryStoreProvider() {}

  @Override
  public String name() {
    return "memory";
  }

  @Override
  public Set<String> schemes() {
    return Set.of("memory");
  }

  /**
   * Opens a new, empty in-memory store.
   *
   * @throws IllegalArgumentException when a query parameter is unknown or names an unknown
   *     capability
   */
  @Override
  public MailStore open(URI uri, Credentials credentials) {
    Objects.requireNonNull(uri, "uri");
    Objects.requireNonNull(credentials, "credentials");
    InMemoryMailStore.Builder builder = InMemoryMailStore.builder();
    String query = uri.getRawQuery() != null ? uri.getQuery() : schemeSpecificQuery(uri);
    if (query != null && !query.isEmpty()) {
      for (String param : query.split("&")) {
        if (!param.startsWith(CAPABILITIES)) {
          throw new IllegalArgumentException(
              "unknown parameter '" + param + "' in " + uri + "; known: capabilities");
        }
        builder.capabilities(parseCapabilities(param.substring(CAPABILITIES.length())));
      }
    }
    return builder.build();
  }

  /** An opaque URI such as {@code memory:test?a=b} keeps its query in the scheme-specific part. */
  private static String schemeSpecificQuery(URI uri) {
    String ssp = uri.getSchemeSpecificPart();
    int q = ssp == null ? -1 : ssp.indexOf('?');
    return q < 0 ? null : ssp.substring(q + 1);
  }

  private static Set<StoreCapability> parseCapabilities(String list) {
    Set<StoreCapability> caps = EnumSet.noneOf(StoreCapability.class);
    for (String name : list.split(",")) {
      if (name.isBlank()) {
        continue;
      }
      try {
        caps.add(StoreCapability.valueOf(name.strip().toUpperCase(Locale.ROOT)));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "unknown store capability '"
                + name
                + "'; known: "
                + EnumSet.allOf(StoreCapability.class),
            e);
      }
    }
    return caps;
  }
}
