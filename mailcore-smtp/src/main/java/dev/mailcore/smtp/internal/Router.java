package dev.mailcore.smtp.internal;

import dev.mailcore.EnhancedStatus;
import dev.mailcore.TlsMode;
import dev.mailcore.smtp.mx.MxHost;
import dev.mailcore.smtp.mx.MxLookup;
import dev.mailcore.smtp.mx.MxResolver;
import dev.mailcore.smtp.mx.StaticRoutes;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides where a domain's mail goes: a static route or default relay when one matches (like a
 * transport map), else the domain's MX hosts (RFC 5321 §5.1), each on the MX port with the domain's
 * TLS policy.
 *
 * <p>Thread-safe when the resolver is, as {@link MxResolver} requires.
 */
public final class Router {
  private static final Logger log = LoggerFactory.getLogger(Router.class);
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

  /** RFC 3463: bad destination system address, for NXDOMAIN. */
  static final EnhancedStatus NO_SUCH_DOMAIN = new EnhancedStatus(5, 1, 2);

  /** RFC 3463: unable to route, for MX hosts that DNS says have no address. */
  static final EnhancedStatus NO_ROUTE = new EnhancedStatus(5, 4, 4);

  /** RFC 3463: directory server failure, for DNS trouble. */
  static final EnhancedStatus DNS_TROUBLE = new EnhancedStatus(4, 4, 3);

  private final MxResolver resolver;
  private final StaticRoutes routes;
  private final int mxPort;
  private final Function<String, TlsMode> tlsPolicy;

  /** Where to try delivery, or why there is nowhere to try. */
  public sealed interface Decision {}

  /**
   * The hosts to try, in order.
   *
   * @param destinations never empty
   * @param staticRoute true when a static route or the default relay chose them
   */
  public record Destinations(List<Destination> destinations, boolean staticRoute)
      implements Decision {
    /** Copies. */
    public Destinations {
      destinations = List.copyOf(destinations);
      if (destinations.isEmpty()) {
        throw new IllegalArgumentException("no destination");
      }
    }
  }

  /**
   * No host to try: permanent (null MX, no such domain) or temporary (DNS trouble).
   *
   * @param temporary whether a later attempt may route
   * @param reason what happened, naming the domain
   * @param status the enhanced status to report for each recipient
   */
  public record Unroutable(boolean temporary, String reason, EnhancedStatus status)
      implements Decision {
    /** Validates. */
    public Unroutable {
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(status, "status");
    }
  }

  /**
   * Creates a router.
   *
   * @param resolver MX and host lookups
   * @param routes static routes and default relay
   * @param mxPort the port for MX hosts and routes without their own port
   * @param tlsPolicy the TLS mode per recipient domain (ASCII form, lower case)
   */
  public Router(
      MxResolver resolver, StaticRoutes routes, int mxPort, Function<String, TlsMode> tlsPolicy) {
    this.resolver = Objects.requireNonNull(resolver, "resolver");
    this.routes = Objects.requireNonNull(routes, "routes");
    this.tlsPolicy = Objects.requireNonNull(tlsPolicy, "tlsPolicy");
    if (mxPort < 1 || mxPort > 65535) {
      throw new IllegalArgumentException("port out of range: " + mxPort);
    }
    this.mxPort = mxPort;
  }

  /**
   * Routes mail for {@code domain}.
   *
   * @param domain the recipient domain in ASCII form, or an address literal {@code [192.0.2.1]}
   * @throws dev.mailcore.MailFormatException when the domain is not a domain name
   */
  public Decision route(String domain) {
    TlsMode tls = tlsPolicy.apply(domain);
    Optional<InetAddress> literal = literal(domain);
    if (literal.isPresent()) {
      return new Destinations(
          List.of(new Destination(domain, List.of(literal.get()), mxPort, tls)), false);
    }
    Optional<StaticRoutes.Route> route = routes.route(domain);
    if (route.isPresent()) {
      return staticRoute(domain, route.get(), tls);
    }
    MxLookup lookup = resolver.lookup(domain);
    if (lookup instanceof MxLookup.Hosts hosts) {
      List<Destination> out = new ArrayList<>();
      for (MxHost h : hosts.hosts()) {
        out.add(new Destination(h.name(), h.addresses(), mxPort, tls));
      }
      return new Destinations(out, false);
    }
    if (lookup instanceof MxLookup.NullMx) {
      return new Unroutable(
          false,
          "domain " + domain + " accepts no mail (null MX, RFC 7505)",
          EnhancedStatus.NULL_MX);
    }
    if (lookup instanceof MxLookup.NoSuchDomain) {
      return new Unroutable(
          false, "domain " + domain + " does not exist or has no mail host", NO_SUCH_DOMAIN);
    }
    if (lookup instanceof MxLookup.NoMailHost none) {
      return new Unroutable(false, none.reason(), NO_ROUTE);
    }
    return new Unroutable(true, ((MxLookup.TemporaryFailure) lookup).reason(), DNS_TROUBLE);
  }

  private Decision staticRoute(String domain, StaticRoutes.Route route, TlsMode tls) {
    int port = route.port().orElse(mxPort);
    List<Destination> out = new ArrayList<>();
    List<String> failed = new ArrayList<>();
    for (String host : route.hosts()) {
      Optional<InetAddress> literal = literal(host);
      if (literal.isPresent()) {
        out.add(new Destination(host, List.of(literal.get()), port, tls));
        continue;
      }
      MxLookup lookup = resolver.lookupHost(host);
      if (lookup instanceof MxLookup.Hosts hosts) {
        for (MxHost h : hosts.hosts()) {
          out.add(new Destination(h.name(), h.addresses(), port, tls));
        }
      } else {
        String why = lookup instanceof MxLookup.TemporaryFailure t ? t.reason() : "no such host";
        log.debug("static route host {} for {} unusable: {}", host, domain, why);
        failed.add(host + " (" + why + ")");
      }
    }
    if (out.isEmpty()) {
      // a configured route that does not resolve is the operator's to fix: keep the mail
      return new Unroutable(
          true,
          "no static route host for " + domain + " resolves: " + String.join(", ", failed),
          DNS_TROUBLE);
    }
    return new Destinations(out, true);
  }

  /**
   * Returns the address of an IP literal ({@code 192.0.2.1}, {@code [::1]}, {@code [IPv6:::1]}).
   */
  static Optional<InetAddress> literal(String host) {
    String h = host;
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
      if (h.regionMatches(true, 0, "IPv6:", 0, 5)) {
        h = h.substring(5);
      }
    }
    try {
      if (IPV4.matcher(h).matches()) {
        String[] parts = h.split("\\.");
        byte[] bytes = new byte[4];
        for (int i = 0; i < 4; i++) {
          int v = Integer.parseInt(parts[i]);
          if (v > 255) {
            return Optional.empty();
          }
          bytes[i] = (byte) v;
        }
        return Optional.of(InetAddress.getByAddress(bytes));
      }
      if (h.indexOf(':') >= 0
          && h.chars().allMatch(c -> c == ':' || c == '.' || Character.digit(c, 16) >= 0)) {
        return Optional.of(
            InetAddress.getByName(h)); // with a colon Java parses it as IPv6, no lookup
      }
    } catch (UnknownHostException e) {
      log.debug("{} looks like an address literal but is not one: {}", host, e.getMessage());
    }
    return Optional.empty();
  }
}
