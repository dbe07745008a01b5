package dev.mailcore.smtp.internal;

import dev.mailcore.TlsMode;
import java.net.InetAddress;
import java.util.List;
import java.util.Objects;

/**
 * One host to try for a domain's mail: its name (for the TLS host-name check and the result),
 * its addresses in the order to try, the port and the TLS policy.
 *
 * @param host the host name, or the IP literal of a literal route
 * @param addresses never empty
 * @param port 1..65535
 * @param tls {@link TlsMode#STARTTLS_IF_OFFERED} (opportunistic, the MX default) or {@link
 *     TlsMode#STARTTLS} (required); a relay route may use any mode
 */
public record Destination(String host, List<InetAddress> addresses, int port, TlsMode tls) {
  /** Validates and copies. */
  public Destination {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(tls, "tls");
    addresses = List.copyOf(addresses);
    if (addresses.isEmpty()) {
      throw new IllegalArgumentException("destination " + host + " has no address");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
  }
}
