package dev.mailcore.smtp.mx;

import dev.mailcore.internal.AddressParser;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Fixed routes that override MX lookup, like an MTA's transport map: mail for a domain goes to
 * the listed hosts or through a relay, and a default relay may take all other mail.
 *
 * <p>A route's hosts are tried in order. Each is an IP address literal ({@code 192.0.2.1}, {@code
 * [2001:db8::1]}) or a host name whose own A/AAAA records are used; no MX lookup is made for them.
 * A domain key that starts with a dot ({@code .example.org}) matches every subdomain, not the
 * domain itself. An exact key wins over a subdomain key, a longer subdomain key over a shorter
 * one, and any domain key over the default relay.
 *
 * <pre>{@code
 * StaticRoutes routes = StaticRoutes.builder()
 *     .hosts("corp.example", "mx-a.corp.internal", "mx-b.corp.internal")
 *     .relay("partner.example", "gateway.partner.example", 587)
 *     .defaultRelay("smtp.provider.example", 587) // everything else
 *     .build();
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 *
 * @since 0.1
 */
public final class StaticRoutes {
  private static final StaticRoutes NONE = new StaticRoutes(new Builder());

  private final Map<String, Route> routes;
  private final Optional<Route> defaultRoute;

  /**
   * Where mail for one domain goes.
   *
   * @param hosts host names or IP literals, tried in order; never empty
   * @param port the port to connect to; empty means the sender's MX port (25 by default)
   */
  public record Route(List<String> hosts, OptionalInt port) {
    /**
     * Validates and copies.
     *
     * @throws IllegalArgumentException when there is no host, a host is blank or holds
     *     whitespace, or the port is out of 1..65535
     */
    public Route {
      hosts = List.copyOf(hosts);
      if (hosts.isEmpty()) {
        throw new IllegalArgumentException("a route needs at least one host");
      }
      for (int i = 0; i < hosts.size(); i++) {
        String h = hosts.get(i);
        if (h.isBlank() || h.chars().anyMatch(Character::isWhitespace)) {
          throw new IllegalArgumentException("route host " + i + " is not a host name: \"" + h + "\"");
        }
      }
      Objects.requireNonNull(port, "port");
      if (port.isPresent() && (port.getAsInt() < 1 || port.getAsInt() > 65535)) {
        throw new IllegalArgumentException("port out of range 1..65535: " + port.getAsInt());
      }
    }
  }

  private StaticRoutes(Builder b) {
    this.routes = Map.copyOf(b.routes);
    this.defaultRoute = Optional.ofNullable(b.defaultRoute);
  }

  /** Returns the empty table: every domain goes by MX lookup. */
  public static StaticRoutes none() {
    return NONE;
  }

  /** Returns an empty builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns a builder holding these routes. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.routes.putAll(routes);
    b.defaultRoute = defaultRoute.orElse(null);
    return b;
  }

  /**
   * Returns the route for {@code domain}: its own, a subdomain key's, or the default relay; empty
   * when mail for it goes by MX lookup.
   *
   * @param domain the recipient's domain, Unicode or ASCII, any case
   */
  public Optional<Route> route(String domain) {
    String key = key(Objects.requireNonNull(domain, "domain"));
    Route exact = routes.get(key);
    if (exact != null) {
      return Optional.of(exact);
    }
    for (int dot = key.indexOf('.'); dot >= 0; dot = key.indexOf('.', dot + 1)) {
      Route parent = routes.get(key.substring(dot));
      if (parent != null) {
        return Optional.of(parent);
      }
    }
    return defaultRoute;
  }

  /** Returns the default relay, when one is set. */
  public Optional<Route> defaultRoute() {
    return defaultRoute;
  }

  /** Returns true when no route and no default relay is set. */
  public boolean isEmpty() {
    return routes.isEmpty() && defaultRoute.isEmpty();
  }

  private static String key(String domain) {
    String d = domain.endsWith(".") ? domain.substring(0, domain.length() - 1) : domain;
    if (d.startsWith("[")) {
      return d.toLowerCase(Locale.ROOT); // an address literal stays as it is
    }
    boolean subdomains = d.startsWith(".");
    String bare = subdomains ? d.substring(1) : d;
    if (bare.isEmpty()) {
      throw new IllegalArgumentException("not a domain: \"" + domain + "\"");
    }
    return (subdomains ? "." : "") + AddressParser.toAsciiDomain(bare).toLowerCase(Locale.ROOT);
  }

  @Override
  public String toString() {
    return "StaticRoutes" + routes + defaultRoute.map(r -> " default " + r).orElse("");
  }

  /**
   * Collects {@link StaticRoutes}. A later route for the same domain replaces the earlier one.
   *
   * <p>Not thread-safe; build on one thread.
   */
  public static final class Builder {
    private final Map<String, Route> routes = new LinkedHashMap<>();
    private Route defaultRoute;

    private Builder() {}

    /**
     * Sends mail for {@code domain} to these hosts, in order, on the MX port.
     *
     * @param domain a domain, or {@code .domain} for all its subdomains
     * @throws IllegalArgumentException when the domain is empty or a host is invalid
     */
    public Builder hosts(String domain, String... hosts) {
      return route(domain, new Route(List.of(hosts), OptionalInt.empty()));
    }

    /**
     * Sends mail for {@code domain} through {@code host} on {@code port}.
     *
     * @throws IllegalArgumentException when the domain is empty, the host invalid or the port
     *     out of range
     */
    public Builder relay(String domain, String host, int port) {
      return route(domain, new Route(List.of(host), OptionalInt.of(port)));
    }

    /**
     * Sets a route for {@code domain}.
     *
     * @throws IllegalArgumentException when the domain is empty
     */
    public Builder route(String domain, Route route) {
      routes.put(key(Objects.requireNonNull(domain, "domain")), Objects.requireNonNull(route, "route"));
      return this;
    }

    /**
     * Sends all mail without its own route through {@code host} on {@code port}, instead of
     * looking up MX records.
     *
     * @throws IllegalArgumentException when the host is invalid or the port out of range
     */
    public Builder defaultRelay(String host, int port) {
      this.defaultRoute = new Route(List.of(host), OptionalInt.of(port));
      return this;
    }

    /** Builds the table. */
    public StaticRoutes build() {
      return new StaticRoutes(this);
    }
  }
}
