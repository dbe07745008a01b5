package dev.mailcore.internal;

import dev.mailcore.TlsMode;
import java.net.URI;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Reads the parts of a store URI ({@code imaps://user@host:993?tls=starttls&allowPlaintext=true})
 * that the IMAP and POP3 providers share.
 */
public final class StoreUris {
  private StoreUris() {}

  /**
   * Returns the host.
   *
   * @throws IllegalArgumentException when the URI has none
   */
  public static String host(URI uri) {
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      throw new IllegalArgumentException("store URI has no host: " + uri.getScheme() + "://...");
    }
    return uri.getHost();
  }

  /** Returns the port when the URI names one. */
  public static OptionalInt port(URI uri) {
    return uri.getPort() > 0 ? OptionalInt.of(uri.getPort()) : OptionalInt.empty();
  }

  /**
   * Returns the TLS mode: the {@code tls} parameter, else implicit TLS for a scheme ending in
   * {@code s} and STARTTLS otherwise.
   *
   * @throws IllegalArgumentException for an unknown mode
   */
  public static TlsMode tls(URI uri) {
    String mode = query(uri).get("tls");
    if (mode != null) {
      try {
        return TlsMode.valueOf(mode.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("unknown tls mode in store URI: " + mode, e);
      }
    }
    return uri.getScheme().toLowerCase(Locale.ROOT).endsWith("s") ? TlsMode.IMPLICIT : TlsMode.STARTTLS;
  }

  /** Returns true when the URI says {@code allowPlaintext=true}. */
  public static boolean allowPlaintext(URI uri) {
    return Boolean.parseBoolean(query(uri).get("allowPlaintext"));
  }

  /** Returns the query parameters; later duplicates win. */
  public static Map<String, String> query(URI uri) {
    Map<String, String> out = new HashMap<>();
    String q = uri.getQuery();
    if (q == null || q.isEmpty()) {
      return out;
    }
    for (String pair : q.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0) {
        out.put(pair.substring(0, eq), pair.substring(eq + 1));
      } else if (!pair.isEmpty()) {
        out.put(pair, "true");
      }
    }
    return out;
  }
}
