package dev.mailcore.smtp.check;

import dev.mailcore.MailFormatException;
import java.net.IDN;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Asks DNS blocklists (DNSBL, RFC 5782) whether an IP address or a domain is listed: IPv4 as
 * reversed octets ({@code 4.3.2.1.<list>}), IPv6 as 32 reversed nibbles, domains (RHSBL) as
 * {@code <domain>.<list>}. A listing is an A record in 127.0.0.0/8, its TXT record the reason.
 * Time-outs, server failures and the lists' own error codes are {@link BlocklistStatus#UNKNOWN},
 * never clean. Answers are cached for their TTL on the injected clock; the lists are asked in
 * parallel.
 *
 * <pre>{@code
 * BlocklistChecker checker = BlocklistChecker.builder()
 *     .addressLists(List.of("zen.spamhaus.org", "bl.spamcop.net"))
 *     .domainLists(List.of("dbl.spamhaus.org"))
 *     .dnsServer(new InetSocketAddress("127.0.0.1", 53))   // your own resolver
 *     .build();
 * BlocklistReport r = checker.check(InetAddress.getByName("192.0.2.10"));
 * }</pre>
 *
 * <p>Most lists refuse queries that come through large public resolvers: point {@link
 * Builder#dnsServer} at a resolver of your own. Thread-safe; share one instance.
 *
 * @since 0.1
 */
public final class BlocklistChecker {
  private static final Logger log = LoggerFactory.getLogger(BlocklistChecker.class);

  private final List<Name> addressLists;
  private final List<Name> domainLists;
  private final DnsClient dns;

  private BlocklistChecker(Builder b) {
    this.addressLists = b.addressLists;
    this.domainLists = b.domainLists;
    this.dns = b.newDnsClient();
  }

  /** Returns a new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Asks every address list about {@code address}.
   *
   * @return one result per address list, in configured order
   */
  public BlocklistReport check(InetAddress address) {
    Objects.requireNonNull(address, "address");
    String reversed = reversed(address);
    return ask(address.getHostAddress(), reversed, addressLists);
  }

  /**
   * Asks every domain list about {@code domain}; an internationalized name is asked in ASCII form.
   *
   * @return one result per domain list, in configured order
   * @throws MailFormatException when {@code domain} is not a domain name
   */
  public BlocklistReport check(String domain) {
    Objects.requireNonNull(domain, "domain");
    String ascii = asciiDomain(domain);
    return ask(ascii, ascii, domainLists);
  }

  private BlocklistReport ask(String subject, String prefix, List<Name> lists) {
    List<CompletableFuture<BlocklistResult>> pending = new ArrayList<>();
    for (Name list : lists) {
      pending.add(askOne(prefix, list));
    }
    List<BlocklistResult> results = new ArrayList<>();
    for (CompletableFuture<BlocklistResult> f : pending) {
      results.add(f.join()); // DnsClient futures never fail and end within the time-out
    }
    BlocklistReport report = new BlocklistReport(subject, results);
    log.debug("blocklists for {}: {}", subject, results);
    return report;
  }

  private CompletableFuture<BlocklistResult> askOne(String prefix, Name list) {
    String zone = text(list);
    Name query;
    try {
      query = Name.fromString(prefix, list);
    } catch (TextParseException e) {
      return CompletableFuture.completedFuture(
          new BlocklistResult(
              zone, prefix + "." + zone, BlocklistStatus.UNKNOWN, List.of(), List.of(),
              "name too long to ask: " + e.getMessage()));
    }
    String q = text(query);
    return dns.query(query, Type.A)
        .thenCompose(
            a -> {
              switch (a.kind()) {
                case NX_DOMAIN:
                  return done(zone, q, BlocklistStatus.NOT_LISTED, List.of(), "not listed (NXDOMAIN)");
                case NO_DATA:
                  return done(zone, q, BlocklistStatus.NOT_LISTED, List.of(), "not listed (no A record)");
                case FAILED:
                  return done(zone, q, BlocklistStatus.UNKNOWN, List.of(), a.detail());
                default:
                  break;
              }
              List<String> codes = new ArrayList<>();
              for (var r : a.records()) {
                codes.add(((ARecord) r).getAddress().getHostAddress());
              }
              String problem = problem(codes);
              if (problem != null) {
                return done(zone, q, BlocklistStatus.UNKNOWN, codes, problem);
              }
              return dns.query(query, Type.TXT)
                  .thenApply(
                      txt -> {
                        List<String> reasons = new ArrayList<>();
                        for (var r : txt.records()) {
                          reasons.add(String.join("", ((TXTRecord) r).getStrings()));
                        }
                        return new BlocklistResult(
                            zone, q, BlocklistStatus.LISTED, codes, reasons,
                            "listed with " + String.join(", ", codes));
                      });
            });
  }

  /** Says why return codes are not a listing, or null when they are one. */
  private static String problem(List<String> codes) {
    for (String c : codes) {
      if (!c.startsWith("127.")) {
        return "answer " + c + " is outside 127.0.0.0/8: the list or the resolver misbehaves";
      }
      if (c.startsWith("127.255.255.")) {
        return "the list answered its error code " + c
            + " (often: queries through a public resolver are refused; use your own resolver)";
      }
    }
    return null;
  }

  private static CompletableFuture<BlocklistResult> done(
      String zone, String q, BlocklistStatus status, List<String> codes, String detail) {
    return CompletableFuture.completedFuture(
        new BlocklistResult(zone, q, status, codes, List.of(), detail));
  }

  /** IPv4 as reversed octets; IPv6 as 32 reversed nibbles (RFC 5782 §2.1, §2.4). */
  static String reversed(InetAddress address) {
    byte[] b = address.getAddress();
    StringBuilder s = new StringBuilder();
    if (address instanceof Inet4Address) {
      for (int i = b.length - 1; i >= 0; i--) {
        s.append(b[i] & 0xff).append(i > 0 ? "." : "");
      }
    } else if (address instanceof Inet6Address) {
      for (int i = b.length - 1; i >= 0; i--) {
        s.append(Character.forDigit(b[i] & 0x0f, 16)).append('.');
        s.append(Character.forDigit((b[i] >> 4) & 0x0f, 16)).append(i > 0 ? "." : "");
      }
    }
    return s.toString();
  }

  private static String asciiDomain(String domain) {
    String d = domain.endsWith(".") ? domain.substring(0, domain.length() - 1) : domain;
    try {
      String ascii = IDN.toASCII(d, IDN.USE_STD3_ASCII_RULES).toLowerCase(Locale.ROOT);
      if (ascii.isEmpty() || !ascii.contains(".")) {
        throw new MailFormatException("not a domain name with a dot: " + domain, -1);
      }
      return ascii;
    } catch (IllegalArgumentException e) {
      throw new MailFormatException("not a domain name: " + domain, e);
    }
  }

  private static String text(Name name) {
    String s = name.toString();
    return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
  }

  @Override
  public String toString() {
    return "BlocklistChecker{addressLists=" + addressLists + ", domainLists=" + domainLists
        + ", dns=" + dns.server() + "}";
  }

  /**
   * Builds a {@link BlocklistChecker}: no lists, the system's first DNS server, a 3-second
   * time-out and the system UTC clock by default. Not thread-safe.
   */
  public static final class Builder extends DnsBuilder<Builder> {
    private List<Name> addressLists = List.of();
    private List<Name> domainLists = List.of();

    private Builder() {}

    @Override
    Builder self() {
      return this;
    }

    /**
     * Sets the lists asked about IP addresses, such as {@code zen.spamhaus.org}.
     *
     * @throws IllegalArgumentException when a name is not a domain name
     */
    public Builder addressLists(List<String> zones) {
      this.addressLists = names(zones);
      return this;
    }

    /**
     * Sets the lists asked about domains (RHSBL), such as {@code dbl.spamhaus.org}.
     *
     * @throws IllegalArgumentException when a name is not a domain name
     */
    public Builder domainLists(List<String> zones) {
      this.domainLists = names(zones);
      return this;
    }

    /**
     * Builds the checker.
     *
     * @throws IllegalStateException when no list is configured
     */
    public BlocklistChecker build() {
      if (addressLists.isEmpty() && domainLists.isEmpty()) {
        throw new IllegalStateException("configure at least one address or domain list");
      }
      return new BlocklistChecker(this);
    }

    private static List<Name> names(List<String> zones) {
      Objects.requireNonNull(zones, "zones");
      List<Name> out = new ArrayList<>();
      for (String z : zones) {
        Objects.requireNonNull(z, "zones element");
        try {
          String ascii = IDN.toASCII(z.endsWith(".") ? z.substring(0, z.length() - 1) : z).toLowerCase(Locale.ROOT);
          out.add(Name.fromString(ascii + "."));
        } catch (IllegalArgumentException | TextParseException e) {
          throw new IllegalArgumentException("not a list zone name: " + z, e);
        }
      }
      return List.copyOf(out);
    }
  }
}
