package dev.mailcore.smtp.mx;

import java.net.InetAddress;
import java.util.List;
import java.util.Objects;

/**
 * One mail exchanger of a domain: its host name, its MX preference and the addresses it
 * resolved to.
 *
 * <p>Immutable and thread-safe.
 *
 * @param name the host name in ASCII form, without the final dot, such as {@code mx1.example.org}
 * @param preference the MX preference, 0 to 65535; lower is tried first (RFC 5321 §5.1). An
 *     implicit MX (the domain's own address records) has preference 0
 * @param addresses the IPv4 and IPv6 addresses to connect to, in the order to try; never empty
 * @since 0.1
 */
public record MxHost(String name, int preference, List<InetAddress> addresses) {

  /**
   * Validates and copies.
   *
   * @throws IllegalArgumentException when the name is blank, the preference out of range or
   *     there is no address
   */
  public MxHost {
    Objects.requireNonNull(name, "name");
    if (name.isBlank()) {
      throw new IllegalArgumentException("an MX host needs a name");
    }
    if (preference < 0 || preference > 65535) {
      throw new IllegalArgumentException("MX preference out of range 0..65535: " + preference);
    }
    addresses = List.copyOf(addresses);
    if (addresses.isEmpty()) {
      throw new IllegalArgumentException("MX host " + name + " has no address");
    }
  }
}
