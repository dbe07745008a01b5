package dev.mailcore.smtp.check;

import java.net.IDN;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.ReverseMap;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Evaluates SPF (RFC 7208) for a client address and domain, as a receiving server does: the
 * mechanisms {@code all}, {@code include}, {@code a}, {@code mx}, {@code ptr}, {@code ip4},
 * {@code ip6} and {@code exists}, the {@code redirect} modifier, macros (§7; {@code %{p}} expands
 * to {@code unknown}), the limits of 10 DNS look-ups and 2 void look-ups. The {@code exp}
 * modifier is accepted and not evaluated: explanations are for receivers to show.
 *
 * <pre>{@code
 * SpfEvaluator spf = SpfEvaluator.builder().dnsServer(resolver).build();
 * SpfEvaluation e = spf.evaluate(InetAddress.getByName("192.0.2.10"), "shop.example", "news@shop.example");
 * }</pre>
 *
 * <p>Thread-safe; answers are cached by TTL on the injected clock and shared between calls.
 *
 * @since 0.1
 */
public final class SpfEvaluator {
  private static final Logger log = LoggerFactory.getLogger(SpfEvaluator.class);
  private static final int MAX_LOOKUPS = 10;
  private static final int MAX_VOID_LOOKUPS = 2;
  private static final int MAX_MX_OR_PTR_NAMES = 10;
  private static final Pattern MODIFIER = Pattern.compile("([A-Za-z][A-Za-z0-9_.-]*)=(.*)");
  private static final Pattern DIRECTIVE =
      Pattern.compile("([+\\-~?]?)([A-Za-z][A-Za-z0-9_.-]*)(.*)");
  private static final Pattern DUAL_CIDR = Pattern.compile("(.*?)(?:/(\\d+))?(?://(\\d+))?");
  private static final Pattern IP4 = Pattern.compile("\\d{1,3}(?:\\.\\d{1,3}){3}");

  private final DnsClient dns;

  SpfEvaluator(DnsClient dns) {
    this.dns = dns;
  }

  /** Returns a new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Evaluates SPF for a message from {@code ip} whose envelope sender is {@code sender}, for
   * {@code domain} (normally the sender's domain), with the HELO name taken as {@code domain}.
   *
   * @param sender the MAIL FROM address; a bare domain means the empty local part (postmaster)
   */
  public SpfEvaluation evaluate(InetAddress ip, String domain, String sender) {
    return evaluate(ip, domain, sender, domain);
  }

  /**
   * Evaluates SPF as {@link #evaluate(InetAddress, String, String)} does, with the client's HELO
   * name for the {@code %{h}} macro.
   */
  public SpfEvaluation evaluate(InetAddress ip, String domain, String sender, String helo) {
    Objects.requireNonNull(ip, "ip");
    Objects.requireNonNull(domain, "domain");
    Objects.requireNonNull(sender, "sender");
    Objects.requireNonNull(helo, "helo");
    Run run = new Run(ip, sender, helo);
    SpfEvaluation e;
    try {
      Outcome o = run.checkHost(domain);
      e = new SpfEvaluation(o.result(), domain, o.term(), o.detail(), run.lookups, run.voids);
    } catch (SpfException x) {
      e = new SpfEvaluation(x.result(), domain, "", x.getMessage(), run.lookups, run.voids);
    }
    log.debug("SPF {} for {} at {}: {} ({})", e.result(), ip.getHostAddress(), domain, e.mechanism(), e.detail());
    return e;
  }

  private record Outcome(SpfResult result, String term, String detail) {}

  private record Term(char qualifier, String name, String arg, String text) {}

  /** The state of one check_host() evaluation: its look-up counters. */
  private final class Run {
    private final InetAddress ip;
    private final String sender;
    private final String helo;
    int lookups;
    int voids;

    Run(InetAddress ip, String sender, String helo) {
      this.ip = ip;
      this.sender = sender;
      this.helo = helo;
    }

    Outcome checkHost(String domain) throws SpfException {
      Name name = domainName(domain);
      if (name == null) {
        return new Outcome(SpfResult.NONE, "", "'" + domain + "' is not a domain name");
      }
      DnsClient.Answer txt = dns.query(name, Type.TXT).join();
      if (txt.kind() == DnsClient.Kind.FAILED) {
        throw SpfException.temperror("TXT look-up of " + domain + " failed: " + txt.detail());
      }
      List<String> spf = new ArrayList<>();
      for (var r : txt.records()) {
        String text = String.join("", ((TXTRecord) r).getStrings());
        if (text.regionMatches(true, 0, "v=spf1", 0, 6) && (text.length() == 6 || text.charAt(6) == ' ')) {
          spf.add(text);
        }
      }
      if (spf.isEmpty()) {
        return new Outcome(SpfResult.NONE, "", domain + " publishes no SPF record");
      }
      if (spf.size() > 1) {
        throw SpfException.permerror(domain + " publishes " + spf.size() + " SPF records; merge them into one");
      }
      return evaluateRecord(domain, spf.get(0));
    }

    private Outcome evaluateRecord(String domain, String record) throws SpfException {
      List<Term> directives = new ArrayList<>();
      String redirect = null;
      boolean exp = false;
      for (String t : record.substring(6).trim().split(" +")) {
        if (t.isEmpty()) {
          continue;
        }
        Matcher mod = MODIFIER.matcher(t);
        if (mod.matches()) {
          String modName = mod.group(1).toLowerCase(Locale.ROOT);
          if (modName.equals("redirect")) {
            if (redirect != null) {
              throw SpfException.permerror(domain + ": redirect= appears twice");
            }
            redirect = mod.group(2);
          } else if (modName.equals("exp")) {
            if (exp) {
              throw SpfException.permerror(domain + ": exp= appears twice");
            }
            exp = true;
          }
          continue; // exp= and unknown modifiers do not take part in the result (§6)
        }
        Matcher dir = DIRECTIVE.matcher(t);
        if (!dir.matches()) {
          throw SpfException.permerror(domain + ": '" + t + "' is not an SPF term");
        }
        String mech = dir.group(2).toLowerCase(Locale.ROOT);
        String rest = dir.group(3);
        if (!List.of("all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists").contains(mech)) {
          throw SpfException.permerror(domain + ": unknown mechanism '" + t + "'");
        }
        if (!rest.isEmpty() && rest.charAt(0) != ':' && rest.charAt(0) != '/') {
          throw SpfException.permerror(domain + ": '" + t + "' is not an SPF term");
        }
        char q = dir.group(1).isEmpty() ? '+' : dir.group(1).charAt(0);
        directives.add(new Term(q, mech, rest, t));
      }
      for (Term d : directives) {
        checkSyntax(domain, d);
      }
      for (Term d : directives) {
        Outcome match = matches(domain, d);
        if (match != null) {
          return match;
        }
      }
      if (redirect != null) {
        countLookup("redirect=" + redirect);
        String target = SpfMacro.expand(redirect, context(domain));
        Outcome sub = checkHost(target);
        if (sub.result() == SpfResult.NONE) {
          throw SpfException.permerror("redirect=" + target + " names a domain without SPF record");
        }
        return sub;
      }
      return new Outcome(SpfResult.NEUTRAL, "", "no mechanism of " + domain + " matched");
    }

    /** Parse-time errors anywhere in the record make it permerror before any match (§4.6). */
    private void checkSyntax(String domain, Term d) throws SpfException {
      switch (d.name()) {
        case "all" -> {
          if (!d.arg().isEmpty()) {
            throw SpfException.permerror(domain + ": 'all' takes no argument: " + d.text());
          }
        }
        case "include", "exists" -> {
          if (!d.arg().startsWith(":") || d.arg().length() == 1) {
            throw SpfException.permerror(domain + ": '" + d.text() + "' needs a domain");
          }
        }
        case "ip4", "ip6" -> network(d);
        case "a", "mx" -> cidr(d);
        default -> {
          // ptr: optional domain, checked when used
        }
      }
    }

    private Outcome matches(String domain, Term d) throws SpfException {
      boolean hit;
      switch (d.name()) {
        case "all" -> hit = true;
        case "include" -> {
          countLookup(d.text());
          String target = SpfMacro.expand(d.arg().substring(1), context(domain));
          Outcome sub = checkHost(target);
          switch (sub.result()) {
            case PASS -> hit = true;
            case FAIL, SOFTFAIL, NEUTRAL -> hit = false;
            case TEMPERROR -> throw SpfException.temperror("include:" + target + ": " + sub.detail());
            default -> throw SpfException.permerror(
                "include:" + target + " gives " + sub.result().name().toLowerCase(Locale.ROOT) + ": " + sub.detail());
          }
        }
        case "a" -> {
          countLookup(d.text());
          Cidr c = cidr(d);
          hit = addressesMatch(target(domain, c.domain()), c);
        }
        case "mx" -> {
          countLookup(d.text());
          Cidr c = cidr(d);
          hit = mxMatches(target(domain, c.domain()), c);
        }
        case "ptr" -> {
          countLookup(d.text());
          String t = d.arg().startsWith(":") ? SpfMacro.expand(d.arg().substring(1), context(domain)) : domain;
          hit = ptrMatches(t);
        }
        case "ip4", "ip6" -> {
          Network n = network(d);
          hit = inNetwork(ip, n.address(), n.bits());
        }
        case "exists" -> {
          countLookup(d.text());
          String t = SpfMacro.expand(d.arg().substring(1), context(domain));
          DnsClient.Answer a = lookup(t, Type.A);
          hit = a.kind() == DnsClient.Kind.RECORDS;
        }
        default -> throw SpfException.permerror("unknown mechanism " + d.text());
      }
      if (!hit) {
        return null;
      }
      return new Outcome(result(d.qualifier()), d.text(), domain + " matched " + d.text());
    }

    private String target(String domain, String spec) throws SpfException {
      return spec.isEmpty() ? domain : SpfMacro.expand(spec, context(domain));
    }

    private boolean addressesMatch(String host, Cidr c) throws SpfException {
      boolean v4 = ip instanceof Inet4Address;
      DnsClient.Answer a = lookup(host, v4 ? Type.A : Type.AAAA);
      return anyInNetwork(a, v4 ? c.v4() : c.v6());
    }

    private boolean mxMatches(String host, Cidr c) throws SpfException {
      DnsClient.Answer mx = lookup(host, Type.MX);
      if (mx.records().size() > MAX_MX_OR_PTR_NAMES) {
        throw SpfException.permerror("mx:" + host + " has more than 10 MX records");
      }
      boolean v4 = ip instanceof Inet4Address;
      for (var r : mx.records()) {
        DnsClient.Answer a = dns.query(((MXRecord) r).getTarget(), v4 ? Type.A : Type.AAAA).join();
        if (a.kind() == DnsClient.Kind.FAILED) {
          throw SpfException.temperror("look-up of MX host " + ((MXRecord) r).getTarget() + " failed: " + a.detail());
        }
        if (anyInNetwork(a, v4 ? c.v4() : c.v6())) {
          return true;
        }
      }
      return false;
    }

    /** §5.5: a PTR name counts when it resolves back to the address and lies under the target. */
    private boolean ptrMatches(String targetDomain) {
      DnsClient.Answer ptr = dns.query(ReverseMap.fromAddress(ip), Type.PTR).join();
      if (ptr.kind() != DnsClient.Kind.RECORDS) {
        return false; // a PTR error makes the mechanism not match (§5.5)
      }
      String target = targetDomain.toLowerCase(Locale.ROOT);
      int n = 0;
      for (var r : ptr.records()) {
        if (++n > MAX_MX_OR_PTR_NAMES) {
          break;
        }
        Name host = ((PTRRecord) r).getTarget();
        String h = text(host).toLowerCase(Locale.ROOT);
        if (!(h.equals(target) || h.endsWith("." + target))) {
          continue;
        }
        DnsClient.Answer a = dns.query(host, ip instanceof Inet4Address ? Type.A : Type.AAAA).join();
        if (anyInNetwork(a, ip instanceof Inet4Address ? 32 : 128)) {
          return true;
        }
      }
      return false;
    }

    private boolean anyInNetwork(DnsClient.Answer a, int bits) {
      for (var r : a.records()) {
        InetAddress addr = r instanceof ARecord ar ? ar.getAddress() : ((AAAARecord) r).getAddress();
        if (inNetwork(ip, addr, bits)) {
          return true;
        }
      }
      return false;
    }

    /** A counted look-up: failures end the evaluation, void answers count against their limit. */
    private DnsClient.Answer lookup(String host, int type) throws SpfException {
      Name name = domainName(host);
      if (name == null) {
        throw SpfException.permerror("'" + host + "' is not a domain name");
      }
      DnsClient.Answer a = dns.query(name, type).join();
      if (a.kind() == DnsClient.Kind.FAILED) {
        throw SpfException.temperror(Type.string(type) + " look-up of " + host + " failed: " + a.detail());
      }
      if (a.isVoid() && ++voids > MAX_VOID_LOOKUPS) {
        throw SpfException.permerror("more than " + MAX_VOID_LOOKUPS + " void DNS look-ups (last: " + host + ")");
      }
      return a;
    }

    private void countLookup(String term) throws SpfException {
      if (++lookups > MAX_LOOKUPS) {
        throw SpfException.permerror(
            "more than " + MAX_LOOKUPS + " DNS look-ups (at " + term + "); replace includes by ip4:/ip6: ranges");
      }
    }

    private SpfMacro.Context context(String domain) {
      return new SpfMacro.Context(sender, domain, ip, helo);
    }
  }

  private record Cidr(String domain, int v4, int v6) {}

  private record Network(InetAddress address, int bits) {}

  private static Cidr cidr(Term d) throws SpfException {
    String arg = d.arg();
    Matcher m = DUAL_CIDR.matcher(arg);
    if (!m.matches()) {
      throw SpfException.permerror("'" + d.text() + "' has a bad CIDR length");
    }
    String spec = m.group(1);
    if (!spec.isEmpty()) {
      if (!spec.startsWith(":") || spec.length() == 1) {
        throw SpfException.permerror("'" + d.text() + "' is not an SPF term");
      }
      spec = spec.substring(1);
    }
    int v4 = m.group(2) == null ? 32 : Integer.parseInt(m.group(2));
    int v6 = m.group(3) == null ? 128 : Integer.parseInt(m.group(3));
    if (v4 > 32 || v6 > 128) {
      throw SpfException.permerror("'" + d.text() + "' has a CIDR length out of range");
    }
    return new Cidr(spec, v4, v6);
  }

  private static Network network(Term d) throws SpfException {
    if (!d.arg().startsWith(":")) {
      throw SpfException.permerror("'" + d.text() + "' needs an address");
    }
    String value = d.arg().substring(1);
    int slash = value.indexOf('/');
    String addr = slash < 0 ? value : value.substring(0, slash);
    boolean v4 = d.name().equals("ip4");
    int max = v4 ? 32 : 128;
    int bits = max;
    if (slash >= 0) {
      String len = value.substring(slash + 1);
      if (!len.matches("\\d{1,3}") || Integer.parseInt(len) > max) {
        throw SpfException.permerror("'" + d.text() + "' has a bad prefix length");
      }
      bits = Integer.parseInt(len);
    }
    try {
      if (v4) {
        if (!IP4.matcher(addr).matches()) {
          throw SpfException.permerror("'" + d.text() + "' is not an IPv4 network");
        }
        for (String octet : addr.split("\\.")) {
          if (Integer.parseInt(octet) > 255) {
            throw SpfException.permerror("'" + d.text() + "' is not an IPv4 network");
          }
        }
        return new Network(InetAddress.getByName(addr), bits);
      }
      if (!addr.contains(":") || !addr.matches("[0-9A-Fa-f:.]+")) {
        throw SpfException.permerror("'" + d.text() + "' is not an IPv6 network");
      }
      InetAddress a = InetAddress.getByName(addr); // a literal: no DNS look-up
      return new Network(a, bits);
    } catch (UnknownHostException e) {
      throw SpfException.permerror("'" + d.text() + "' is not an IP network: " + e.getMessage());
    }
  }

  /** True when both are of one family and share the first {@code bits} bits. */
  static boolean inNetwork(InetAddress ip, InetAddress network, int bits) {
    byte[] a = ip.getAddress();
    byte[] b = network.getAddress();
    if (a.length != b.length) {
      return false;
    }
    int full = bits / 8;
    for (int i = 0; i < full; i++) {
      if (a[i] != b[i]) {
        return false;
      }
    }
    int rest = bits % 8;
    if (rest == 0) {
      return true;
    }
    int mask = (0xff << (8 - rest)) & 0xff;
    return (a[full] & mask) == (b[full] & mask);
  }

  private static SpfResult result(char qualifier) {
    return switch (qualifier) {
      case '-' -> SpfResult.FAIL;
      case '~' -> SpfResult.SOFTFAIL;
      case '?' -> SpfResult.NEUTRAL;
      default -> SpfResult.PASS;
    };
  }

  /** Returns the DNS name, or null when {@code domain} is not a usable domain name (§4.3). */
  private static Name domainName(String domain) {
    String d = domain.endsWith(".") ? domain.substring(0, domain.length() - 1) : domain;
    if (d.isEmpty() || !d.contains(".") || d.contains("..")) {
      return null;
    }
    for (String label : d.split("\\.")) {
      if (label.isEmpty() || label.length() > 63) {
        return null;
      }
    }
    try {
      return Name.fromString(IDN.toASCII(d) + ".");
    } catch (TextParseException | IllegalArgumentException e) {
      return null; // not a name: the caller turns this into none or permerror
    }
  }

  private static String text(Name name) {
    String s = name.toString();
    return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
  }

  /**
   * Builds an {@link SpfEvaluator}: the system's first DNS server, a 3-second time-out per query
   * and the system UTC clock by default. Not thread-safe.
   */
  public static final class Builder extends DnsBuilder<Builder> {

    private Builder() {}

    @Override
    Builder self() {
      return this;
    }

    /** Builds the evaluator. */
    public SpfEvaluator build() {
      return new SpfEvaluator(newDnsClient());
    }
  }

}
