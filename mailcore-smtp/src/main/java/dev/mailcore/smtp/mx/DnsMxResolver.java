package dev.mailcore.smtp.mx;

import dev.mailcore.MailFormatException;
import dev.mailcore.internal.AddressParser;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.ResolverConfig;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * The default {@link MxResolver}: asks DNS servers (dnsjava) and applies the MX rules of RFC 5321
 * §5.1 and RFC 7505.
 *
 * <ul>
 *   <li>MX hosts are sorted by preference; hosts of equal preference are shuffled on every lookup,
 *       spreading load as the RFC asks.
 *   <li>No MX record: the domain's own A/AAAA records are an implicit MX of preference 0.
 *   <li>{@code MX 0 .} is a null MX: {@link MxLookup.NullMx}, permanent.
 *   <li>NXDOMAIN, or neither MX nor address records: {@link MxLookup.NoSuchDomain}, permanent.
 *   <li>An MX host without address is skipped. When every MX host is without address: {@link
 *       MxLookup.NoMailHost}, permanent, if DNS said so of each (NXDOMAIN or no address records;
 *       RFC 5321 §5.1), else {@link MxLookup.TemporaryFailure}.
 *   <li>SERVFAIL, a refusal, a time-out: {@link MxLookup.TemporaryFailure}.
 *   <li>CNAMEs are followed, in the answer and with further queries; IDNs are looked up in ASCII
 *       form; each host gets its IPv4 addresses first, then its IPv6 addresses.
 * </ul>
 *
 * <p>Answers are cached per name and type for their TTL (at most {@link Builder#maxTtl}); negative
 * answers (NXDOMAIN, NODATA) for the SOA's negative TTL (RFC 2308), at most {@link
 * Builder#maxNegativeTtl}. Failures are not cached. Time comes from the injected {@link Clock}.
 * Each resolver has its own cache and its own dnsjava resolver; none uses dnsjava's static {@code
 * Lookup} state.
 *
 * <pre>{@code
 * MxResolver dns = DnsMxResolver.builder()
 *     .server(new InetSocketAddress("127.0.0.1", 5353))
 *     .timeout(Duration.ofSeconds(2))
 *     .build();
 * MxLookup answer = dns.lookup("example.org");
 * }</pre>
 *
 * <p>Thread-safe: one instance serves all threads.
 *
 * @since 0.1
 */
public final class DnsMxResolver implements MxResolver {
  private static final Logger log = LoggerFactory.getLogger(DnsMxResolver.class);
  private static final int MAX_CNAME_HOPS = 8;

  private final List<Resolver> servers;
  private final int retries;
  private final Clock clock;
  private final Random random;
  private final Duration maxTtl;
  private final Duration maxNegativeTtl;
  private final DnsCache<Question, Answer> cache;

  private record Question(Name name, int type) {}

  /** One DNS response, as cached. */
  private sealed interface Answer {}

  /** NOERROR: the answer section (empty for NODATA). */
  private record Records(List<Record> records) implements Answer {}

  private record NxDomain() implements Answer {}

  private record Failed(String reason) implements Answer {}

  /** A name and type after following CNAMEs. */
  private sealed interface Resolved {}

  private record Found(List<Record> records) implements Resolved {}

  private record NoData() implements Resolved {}

  private record Missing() implements Resolved {}

  private record Trouble(String reason) implements Resolved {}

  private DnsMxResolver(Builder b) {
    this.servers = List.copyOf(b.makeResolvers());
    this.retries = b.retries;
    this.clock = b.clock;
    this.random = b.random;
    this.maxTtl = b.maxTtl;
    this.maxNegativeTtl = b.maxNegativeTtl;
    this.cache = new DnsCache<>(b.cacheSize);
  }

  /** Returns a resolver on the system's DNS servers with default settings. */
  public static DnsMxResolver ofDefaults() {
    return builder().build();
  }

  /** Returns a builder: system servers, 5 s time-out, 2 retries, system clock. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public MxLookup lookup(String domain) {
    Name name = toName(domain);
    String ascii = text(name);
    Resolved mx = resolve(name, Type.MX);
    if (mx instanceof Trouble t) {
      return new MxLookup.TemporaryFailure(t.reason());
    }
    if (mx instanceof Missing) {
      return new MxLookup.NoSuchDomain(ascii);
    }
    if (mx instanceof NoData) {
      return implicitMx(name, ascii);
    }
    List<MXRecord> records = new ArrayList<>();
    for (Record r : ((Found) mx).records()) {
      records.add((MXRecord) r);
    }
    return fromMx(ascii, records);
  }

  @Override
  public MxLookup lookupHost(String host) {
    Name name = toName(host);
    return implicitMx(name, text(name));
  }

  /** Forgets every cached answer. */
  public void clearCache() {
    cache.clear();
  }

  private MxLookup implicitMx(Name name, String ascii) {
    Resolved addresses = addresses(name);
    if (addresses instanceof Found f) {
      return new MxLookup.Hosts(List.of(new MxHost(ascii, 0, toAddresses(f))), true);
    }
    if (addresses instanceof Trouble t) {
      return new MxLookup.TemporaryFailure(t.reason());
    }
    return new MxLookup.NoSuchDomain(ascii);
  }

  private MxLookup fromMx(String domain, List<MXRecord> records) {
    TreeMap<Integer, List<Name>> byPreference = new TreeMap<>();
    Map<Name, Integer> seen = new LinkedHashMap<>();
    for (MXRecord r : records) {
      if (r.getTarget().equals(Name.root)) {
        continue; // the null MX; alone it means "no mail" (RFC 7505 §3)
      }
      Integer before = seen.get(r.getTarget());
      if (before == null || r.getPriority() < before) {
        seen.put(r.getTarget(), r.getPriority());
      }
    }
    if (seen.isEmpty()) {
      return new MxLookup.NullMx(domain);
    }
    seen.forEach(
        (host, pref) -> byPreference.computeIfAbsent(pref, p -> new ArrayList<>()).add(host));
    List<MxHost> hosts = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    boolean trouble = false; // DNS failed for a host, rather than saying it has no address
    for (Map.Entry<Integer, List<Name>> group : byPreference.entrySet()) {
      List<Name> names = group.getValue();
      Collections.shuffle(names, random);
      for (Name host : names) {
        Resolved addresses = addresses(host);
        if (addresses instanceof Found f) {
          hosts.add(new MxHost(text(host), group.getKey(), toAddresses(f)));
        } else {
          trouble |= addresses instanceof Trouble;
          String why =
              addresses instanceof Trouble t
                  ? t.reason()
                  : addresses instanceof Missing ? "no such host" : "no address records";
          log.debug("skipping MX host {} of {}: {}", host, domain, why);
          skipped.add(text(host) + " (" + why + ")");
        }
      }
    }
    if (hosts.isEmpty()) {
      String reason = "no MX host of " + domain + " has an address: " + String.join(", ", skipped);
      return trouble
          ? new MxLookup.TemporaryFailure(reason)
          : new MxLookup.NoMailHost(domain, reason);
    }
    return new MxLookup.Hosts(hosts, false);
  }

  /** Resolves A then AAAA; found when either has records. */
  private Resolved addresses(Name host) {
    Resolved v4 = resolve(host, Type.A);
    Resolved v6 = resolve(host, Type.AAAA);
    List<Record> all = new ArrayList<>();
    if (v4 instanceof Found f) {
      all.addAll(f.records());
    }
    if (v6 instanceof Found f) {
      all.addAll(f.records());
    }
    if (!all.isEmpty()) {
      return new Found(all);
    }
    if (v4 instanceof Trouble) {
      return v4;
    }
    if (v6 instanceof Trouble) {
      return v6;
    }
    return v4 instanceof Missing || v6 instanceof Missing ? new Missing() : new NoData();
  }

  private static List<InetAddress> toAddresses(Found found) {
    List<InetAddress> out = new ArrayList<>();
    for (Record r : found.records()) {
      InetAddress a = r instanceof ARecord v4 ? v4.getAddress() : ((AAAARecord) r).getAddress();
      if (!out.contains(a)) {
        out.add(a);
      }
    }
    return out;
  }

  /** Resolves {@code name}/{@code type}, following CNAMEs (RFC 1034 §3.6.2, RFC 5321 §5.1). */
  private Resolved resolve(Name name, int type) {
    Name current = name;
    int hops = 0;
    while (true) {
      Name asked = current;
      Answer answer = query(asked, type);
      if (answer instanceof Failed f) {
        return new Trouble(f.reason());
      }
      if (answer instanceof NxDomain) {
        return new Missing();
      }
      List<Record> records = ((Records) answer).records();
      while (true) {
        Name owner = current;
        List<Record> hits =
            records.stream().filter(r -> r.getType() == type && r.getName().equals(owner)).toList();
        if (!hits.isEmpty()) {
          return new Found(hits);
        }
        Record cname =
            records.stream()
                .filter(r -> r.getType() == Type.CNAME && r.getName().equals(owner))
                .findFirst()
                .orElse(null);
        if (cname == null) {
          break;
        }
        if (++hops > MAX_CNAME_HOPS) {
          return new Trouble("CNAME chain longer than " + MAX_CNAME_HOPS + " from " + text(name));
        }
        current = ((CNAMERecord) cname).getTarget();
      }
      if (current.equals(asked)) {
        return new NoData();
      }
      // the chain leaves this answer: ask for the target itself
    }
  }

  /** Asks the servers, or the cache, for one name and type. */
  private Answer query(Name name, int type) {
    Question question = new Question(name, type);
    var now = clock.instant();
    var cached = cache.get(question, now);
    if (cached.isPresent()) {
      return cached.get();
    }
    String what = text(name) + "/" + Type.string(type);
    Message response;
    try {
      response = send(Message.newQuery(Record.newRecord(name, type, DClass.IN)), what);
    } catch (IOException e) {
      return new Failed("no DNS answer for " + what + ": " + e.getMessage());
    }
    int rcode = response.getRcode();
    log.debug("DNS {} -> {}", what, Rcode.string(rcode));
    Answer answer;
    Duration ttl;
    if (rcode == Rcode.NOERROR) {
      List<Record> records = response.getSection(Section.ANSWER);
      answer = new Records(records);
      ttl = records.isEmpty() ? negativeTtl(response) : positiveTtl(records);
    } else if (rcode == Rcode.NXDOMAIN) {
      answer = new NxDomain();
      ttl = negativeTtl(response);
    } else {
      return new Failed("DNS server answered " + Rcode.string(rcode) + " for " + what);
    }
    cache.put(question, answer, now, ttl);
    return answer;
  }

  /**
   * Sends to each server in turn, the whole round {@code retries + 1} times, until one answers
   * usefully. A server that answers SERVFAIL, REFUSED or NOTIMP is not asked again for this query,
   * but the next one is; when none does better, that answer is returned. Our own loop, not
   * dnsjava's ExtendedResolver, which shuffles the servers and takes any answer.
   */
  private Message send(Message query, String what) throws IOException {
    if (servers.isEmpty()) {
      throw new IOException("no DNS server configured");
    }
    IOException lastError = null;
    Message lastRefusal = null;
    boolean[] refused = new boolean[servers.size()];
    for (int round = 0; round <= retries; round++) {
      for (int i = 0; i < servers.size(); i++) {
        if (refused[i]) {
          continue;
        }
        Resolver server = servers.get(i);
        try {
          Message response = server.send(query);
          int rcode = response.getRcode();
          if (rcode != Rcode.SERVFAIL && rcode != Rcode.REFUSED && rcode != Rcode.NOTIMP) {
            return response;
          }
          log.debug("DNS query {} to {}: {}", what, server, Rcode.string(rcode));
          refused[i] = true;
          lastRefusal = response;
        } catch (IOException e) {
          log.debug(
              "DNS query {} to {} failed (round {}): {}", what, server, round + 1, e.toString());
          lastError = e;
        }
      }
    }
    if (lastRefusal != null) {
      return lastRefusal;
    }
    throw lastError;
  }

  private Duration positiveTtl(List<Record> records) {
    long min = records.stream().mapToLong(Record::getTTL).min().orElse(0);
    Duration ttl = Duration.ofSeconds(min);
    return ttl.compareTo(maxTtl) > 0 ? maxTtl : ttl;
  }

  /** RFC 2308 §5: the lesser of the SOA's TTL and its MINIMUM; no SOA, no caching. */
  private Duration negativeTtl(Message response) {
    for (Record r : response.getSection(Section.AUTHORITY)) {
      if (r instanceof SOARecord soa) {
        Duration ttl = Duration.ofSeconds(Math.min(soa.getTTL(), soa.getMinimum()));
        return ttl.compareTo(maxNegativeTtl) > 0 ? maxNegativeTtl : ttl;
      }
    }
    return Duration.ZERO;
  }

  private static Name toName(String domain) {
    Objects.requireNonNull(domain, "domain");
    String bare = domain.endsWith(".") ? domain.substring(0, domain.length() - 1) : domain;
    if (bare.isEmpty()) {
      throw new MailFormatException("not a domain name: \"" + domain + "\"", 0);
    }
    try {
      return Name.fromString(AddressParser.toAsciiDomain(bare) + ".");
    } catch (TextParseException | IllegalArgumentException e) {
      throw new MailFormatException("not a domain name: \"" + domain + "\": " + e.getMessage(), e);
    }
  }

  private static String text(Name name) {
    return name.toString(true);
  }

  @Override
  public String toString() {
    return "DnsMxResolver" + servers;
  }

  /**
   * Configures a {@link DnsMxResolver}.
   *
   * <p>Not thread-safe; build on one thread.
   */
  public static final class Builder {
    private final List<InetSocketAddress> servers = new ArrayList<>();
    private Duration timeout = Duration.ofSeconds(5);
    private int retries = 2;
    private Clock clock = Clock.systemUTC();
    private Random random = new Random();
    private Duration maxTtl = Duration.ofDays(1);
    private Duration maxNegativeTtl = Duration.ofMinutes(15);
    private int cacheSize = 10_000;

    private Builder() {}

    /**
     * Adds a DNS server to ask, tried in the order added. Without any, the system's configured
     * servers are used.
     */
    public Builder server(InetSocketAddress server) {
      Objects.requireNonNull(server, "server");
      if (server.isUnresolved()) {
        throw new IllegalArgumentException("a DNS server needs an IP address: " + server);
      }
      servers.add(server);
      return this;
    }

    /** Adds a DNS server on port 53. */
    public Builder server(InetAddress server) {
      return server(new InetSocketAddress(Objects.requireNonNull(server, "server"), 53));
    }

    /**
     * Sets how long to wait for each answer; 5 seconds by default.
     *
     * @throws IllegalArgumentException when not positive
     */
    public Builder timeout(Duration timeout) {
      if (Objects.requireNonNull(timeout, "timeout").isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("timeout must be positive: " + timeout);
      }
      this.timeout = timeout;
      return this;
    }

    /**
     * Sets how often a query is sent again to each server when no answer comes; 2 by default.
     *
     * @throws IllegalArgumentException when negative
     */
    public Builder retries(int retries) {
      if (retries < 0) {
        throw new IllegalArgumentException("retries must not be negative: " + retries);
      }
      this.retries = retries;
      return this;
    }

    /** Sets the clock the cache measures TTLs with; the system clock by default. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Sets the source of randomness for shuffling equal preferences; tests pass a seeded one. */
    public Builder random(Random random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    /**
     * Sets the longest time a positive answer is kept, whatever its TTL; one day by default.
     *
     * @throws IllegalArgumentException when negative
     */
    public Builder maxTtl(Duration maxTtl) {
      if (Objects.requireNonNull(maxTtl, "maxTtl").isNegative()) {
        throw new IllegalArgumentException("maxTtl must not be negative: " + maxTtl);
      }
      this.maxTtl = maxTtl;
      return this;
    }

    /**
     * Sets the longest time a negative answer (NXDOMAIN, NODATA) is kept; 15 minutes by default.
     * Zero disables negative caching.
     *
     * @throws IllegalArgumentException when negative
     */
    public Builder maxNegativeTtl(Duration maxNegativeTtl) {
      if (Objects.requireNonNull(maxNegativeTtl, "maxNegativeTtl").isNegative()) {
        throw new IllegalArgumentException(
            "maxNegativeTtl must not be negative: " + maxNegativeTtl);
      }
      this.maxNegativeTtl = maxNegativeTtl;
      return this;
    }

    /**
     * Sets how many answers the cache holds at most; 10,000 by default.
     *
     * @throws IllegalArgumentException when less than 1
     */
    public Builder cacheSize(int cacheSize) {
      if (cacheSize < 1) {
        throw new IllegalArgumentException("cacheSize must be at least 1: " + cacheSize);
      }
      this.cacheSize = cacheSize;
      return this;
    }

    /** Builds the resolver. */
    public DnsMxResolver build() {
      return new DnsMxResolver(this);
    }

    private List<Resolver> makeResolvers() {
      List<InetSocketAddress> targets =
          servers.isEmpty() ? ResolverConfig.getCurrentConfig().servers() : servers;
      List<Resolver> out = new ArrayList<>();
      for (InetSocketAddress server : targets) {
        SimpleResolver r = new SimpleResolver(server);
        r.setTimeout(timeout);
        out.add(r);
      }
      return out;
    }
  }
}
