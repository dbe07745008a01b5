package dev.mailcore.smtp.check;

import dev.mailcore.MailFormatException;
import dev.mailcore.smtp.dkim.DkimKeys;
import dev.mailcore.smtp.dkim.DkimSigner;
import java.net.IDN;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.RSAKey;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Name;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Checks what receiving providers check about a sending domain before mail is sent: SPF for the
 * sending address (RFC 7208), the DMARC policy (RFC 7489), the DKIM public key for each configured
 * selector (is it published, and is it the public half of our private key?), and optionally DNS
 * blocklists. Each finding has a severity and a plain-language fix, often the exact DNS record to
 * publish.
 *
 * <pre>{@code
 * PreflightReport report = Preflight.builder()
 *     .domain("shop.example")
 *     .sendingAddress(InetAddress.getByName("192.0.2.10"))
 *     .dkimKey("s1", DkimKeys.readPrivateKey(Path.of("dkim-s1.pem")))
 *     .build()
 *     .run();
 * System.out.println(report);
 * }</pre>
 *
 * <p>DMARC is looked up at the domain, then at its last two labels as the organizational domain;
 * without the Public Suffix List this guess is wrong under suffixes such as {@code co.uk}.
 * Thread-safe; {@link #run()} may be called again and answers are cached by TTL.
 *
 * @since 0.1
 */
public final class Preflight {
  private static final Logger log = LoggerFactory.getLogger(Preflight.class);
  private static final Pattern TAG_T = Pattern.compile("(?:^|;)\\s*t\\s*=([^;]*)");

  private final String domain;
  private final InetAddress sendingAddress;
  private final Map<String, PrivateKey> dkimKeys;
  private final BlocklistChecker blocklists;
  private final DnsClient dns;
  private final SpfEvaluator spf;

  private Preflight(Builder b) {
    this.domain = b.domain;
    this.sendingAddress = b.sendingAddress;
    this.dkimKeys = Map.copyOf(b.dkimKeys);
    this.blocklists = b.blocklists;
    this.dns = b.newDnsClient();
    this.spf = new SpfEvaluator(dns);
  }

  /** Returns a new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Runs every check and returns the findings. */
  public PreflightReport run() {
    List<PreflightFinding> findings = new ArrayList<>();
    SpfEvaluation spfResult = null;
    if (sendingAddress != null) {
      spfResult = spf.evaluate(sendingAddress, domain, "postmaster@" + domain);
      findings.add(spfFinding(spfResult));
    } else {
      findings.add(new PreflightFinding(Severity.INFO, "SPF", "no sending address given, so SPF was not evaluated",
          "give the address mail leaves from with sendingAddress(...)"));
    }
    findings.add(dmarcFinding());
    dkimKeys.keySet().stream().sorted().forEach(s -> findings.addAll(dkimFindings(s, dkimKeys.get(s))));
    if (blocklists != null && sendingAddress != null) {
      findings.addAll(blocklistFindings(blocklists.check(sendingAddress)));
    }
    if (blocklists != null) {
      findings.addAll(blocklistFindings(blocklists.check(domain)));
    }
    PreflightReport report = new PreflightReport(domain, findings, spfResult);
    log.info("preflight for {}: {}", domain, report.worst());
    return report;
  }

  private PreflightFinding spfFinding(SpfEvaluation e) {
    String ip = sendingAddress.getHostAddress();
    String mech = (sendingAddress instanceof Inet4Address ? "ip4:" : "ip6:") + ip;
    String where = "the TXT record of " + domain;
    switch (e.result()) {
      case PASS:
        if (e.mechanism().matches("\\+?all")) {
          return new PreflightFinding(Severity.ERROR, "SPF",
              "the record ends in +all: it allows every address on the internet to send as " + domain,
              "replace '" + e.mechanism() + "' by '-all' (or '~all') in " + where + " and list your senders before it");
        }
        return new PreflightFinding(Severity.OK, "SPF",
            ip + " may send for " + domain + " (matched " + e.mechanism() + ", " + e.dnsLookups() + " of 10 look-ups)", "");
      case NONE:
        return new PreflightFinding(Severity.ERROR, "SPF", domain + " publishes no SPF record",
            "publish a TXT record at " + domain + ": \"v=spf1 " + mech + " -all\"");
      case FAIL:
      case SOFTFAIL:
      case NEUTRAL:
        return new PreflightFinding(e.result() == SpfResult.FAIL ? Severity.ERROR : Severity.WARNING, "SPF",
            "SPF gives " + e.result().name().toLowerCase(Locale.ROOT) + " for " + ip + ": " + e.detail(),
            "add '" + mech + "' (or the include: your mail provider documents) before the 'all' term of " + where);
      case TEMPERROR:
        return new PreflightFinding(Severity.WARNING, "SPF", "SPF could not be evaluated: " + e.detail(),
            "check the DNS servers of " + domain + " answer, then run the check again");
      default:
        return new PreflightFinding(Severity.ERROR, "SPF", "the SPF record is broken (permerror): " + e.detail(),
            "correct " + where + "; receivers treat a broken record like a failing one");
    }
  }

  private PreflightFinding dmarcFinding() {
    String at = "_dmarc." + domain;
    Lookup l = txt(at, DmarcRecord::looksLikeDmarc);
    String foundAt = at;
    String org = organizationalDomain(domain);
    if (l.records().isEmpty() && !l.failed() && !org.equals(domain)) {
      foundAt = "_dmarc." + org;
      l = txt(foundAt, DmarcRecord::looksLikeDmarc);
    }
    if (l.failed()) {
      return new PreflightFinding(Severity.WARNING, "DMARC", "the DMARC record could not be looked up: " + l.detail(),
          "check the DNS servers of " + domain + " answer, then run the check again");
    }
    String suggested = "\"v=DMARC1; p=none; rua=mailto:dmarc-reports@" + domain + "\"";
    if (l.records().isEmpty()) {
      return new PreflightFinding(Severity.ERROR, "DMARC", domain + " publishes no DMARC record; large providers require one from bulk senders",
          "publish a TXT record at " + at + ": " + suggested + ", and tighten p= once the reports look right");
    }
    if (l.records().size() > 1) {
      return new PreflightFinding(Severity.ERROR, "DMARC", foundAt + " has " + l.records().size() + " DMARC records; receivers then ignore DMARC",
          "keep exactly one TXT record starting with v=DMARC1 at " + foundAt);
    }
    DmarcRecord r = DmarcRecord.parse(l.records().get(0));
    String inherited = foundAt.equals(at) ? "" : " (inherited from the organizational domain " + org + ")";
    if (!r.problems().isEmpty()) {
      return new PreflightFinding(Severity.ERROR, "DMARC", "the DMARC record at " + foundAt + " is invalid: " + String.join("; ", r.problems()),
          "replace it by a valid record such as " + suggested);
    }
    String reports = r.hasReports() ? "" : "; add rua=mailto:... to receive aggregate reports";
    switch (r.policy()) {
      case "none":
        return new PreflightFinding(Severity.WARNING, "DMARC", "policy p=none" + inherited + ": monitoring only, spoofed mail is still delivered",
            "after the aggregate reports show only your own senders, move to p=quarantine, then p=reject" + reports);
      default:
        Severity s = r.percent() < 100 || !r.hasReports() ? Severity.INFO : Severity.OK;
        return new PreflightFinding(s, "DMARC", "policy p=" + r.policy() + inherited
            + (r.percent() < 100 ? ", applied to " + r.percent() + "% of failing mail" : ""),
            (r.percent() < 100 ? "raise pct= to 100 when you are confident" : "") + (reports.isEmpty() ? "" : reports.substring(2)));
    }
  }

  private List<PreflightFinding> dkimFindings(String selector, PrivateKey key) {
    String check = "DKIM " + selector;
    String at = selector + "._domainkey." + domain;
    Optional<PublicKey> ours = DkimKeys.publicKeyOf(key);
    String publish = ours.map(p -> "publish a TXT record at " + at + ": \"" + DkimKeys.txtRecord(p) + "\"")
        .orElse("publish a TXT record at " + at + " holding DkimKeys.txtRecord(publicKey) of this key pair");
    Lookup l = txt(at, t -> t.contains("p="));
    if (l.failed()) {
      return List.of(new PreflightFinding(Severity.WARNING, check, "the DKIM key could not be looked up: " + l.detail(),
          "check the DNS servers of " + domain + " answer, then run the check again"));
    }
    if (l.records().isEmpty()) {
      return List.of(new PreflightFinding(Severity.ERROR, check, "no DKIM key is published at " + at + "; receivers cannot verify signatures", publish));
    }
    String record = l.records().get(0);
    PublicKey published;
    try {
      published = DkimKeys.parseTxtRecord(record);
    } catch (MailFormatException e) {
      return List.of(new PreflightFinding(Severity.ERROR, check, "the key record at " + at + " is unusable: " + e.getMessage(), publish));
    }
    List<PreflightFinding> out = new ArrayList<>();
    if (!DkimKeys.matches(published, key)) {
      out.add(new PreflightFinding(Severity.ERROR, check,
          "the key published at " + at + " is not the public half of the configured private key; every signature will fail",
          publish + ", or sign with the private key that belongs to the published one"));
      return out;
    }
    out.add(new PreflightFinding(Severity.OK, check, "the key published at " + at + " matches the private key", ""));
    if (published instanceof RSAKey rsa && rsa.getModulus().bitLength() < 2048) {
      out.add(new PreflightFinding(Severity.WARNING, check,
          "the RSA key has " + rsa.getModulus().bitLength() + " bits; some receivers distrust keys under 2048",
          "make a 2048-bit key under a new selector, publish it, then switch the signer to it"));
    }
    if (isTesting(record)) {
      out.add(new PreflightFinding(Severity.WARNING, check, "the key record has t=y (testing): receivers may ignore the signatures",
          "remove t=y from the record at " + at + " once signing works"));
    }
    return out;
  }

  /** RFC 6376 §3.6.1: t= holds colon-separated flags; y means the domain is testing DKIM. */
  private static boolean isTesting(String record) {
    Matcher m = TAG_T.matcher(record);
    if (!m.find()) {
      return false;
    }
    for (String flag : m.group(1).split(":")) {
      if (flag.strip().equalsIgnoreCase("y")) {
        return true;
      }
    }
    return false;
  }

  private static List<PreflightFinding> blocklistFindings(BlocklistReport report) {
    List<PreflightFinding> out = new ArrayList<>();
    for (BlocklistResult r : report.results()) {
      switch (r.status()) {
        case LISTED -> out.add(new PreflightFinding(Severity.ERROR, "BLOCKLIST",
            report.subject() + " is listed on " + r.list() + " (" + String.join(", ", r.returnCodes()) + ")"
                + (r.reasons().isEmpty() ? "" : ": " + String.join(" ", r.reasons())),
            "stop what caused the listing, then ask " + r.list() + " for removal (the reason text names the page)"));
        case UNKNOWN -> out.add(new PreflightFinding(Severity.WARNING, "BLOCKLIST",
            r.list() + " gave no usable answer for " + report.subject() + ": " + r.detail(),
            "use a DNS resolver of your own (lists refuse public resolvers) and check again"));
        default -> out.add(new PreflightFinding(Severity.OK, "BLOCKLIST", report.subject() + " is not listed on " + r.list(), ""));
      }
    }
    return out;
  }

  private record Lookup(List<String> records, boolean failed, String detail) {}

  private Lookup txt(String name, Predicate<String> wanted) {
    Name n;
    try {
      n = Name.fromString(name + ".");
    } catch (TextParseException e) {
      return new Lookup(List.of(), true, "'" + name + "' is not a DNS name");
    }
    DnsClient.Answer a = dns.query(n, Type.TXT).join();
    if (a.kind() == DnsClient.Kind.FAILED) {
      return new Lookup(List.of(), true, a.detail());
    }
    List<String> texts = new ArrayList<>();
    for (var r : a.records()) {
      String t = String.join("", ((TXTRecord) r).getStrings());
      if (wanted.test(t)) {
        texts.add(t);
      }
    }
    return new Lookup(texts, false, a.detail());
  }

  /** The last two labels: a guess at the organizational domain without the Public Suffix List. */
  static String organizationalDomain(String domain) {
    String[] labels = domain.split("\\.");
    return labels.length <= 2 ? domain : labels[labels.length - 2] + "." + labels[labels.length - 1];
  }

  @Override
  public String toString() {
    return "Preflight{" + domain + ", selectors=" + dkimKeys.keySet() + "}";
  }

  /**
   * Builds a {@link Preflight}: the domain is required; without a sending address SPF is not
   * evaluated, without DKIM keys no selector is checked, without a blocklist checker no list is
   * asked. The system's first DNS server, a 3-second time-out and the system UTC clock by default.
   * Not thread-safe.
   */
  public static final class Builder extends DnsBuilder<Builder> {
    private String domain;
    private InetAddress sendingAddress;
    private final Map<String, PrivateKey> dkimKeys = new LinkedHashMap<>();
    private BlocklistChecker blocklists;

    private Builder() {}

    @Override
    Builder self() {
      return this;
    }

    /**
     * Sets the sending domain: the From and envelope sender domain.
     *
     * @throws IllegalArgumentException when it is not a domain name
     */
    public Builder domain(String domain) {
      Objects.requireNonNull(domain, "domain");
      try {
        String ascii = IDN.toASCII(domain, IDN.USE_STD3_ASCII_RULES).toLowerCase(Locale.ROOT);
        if (!ascii.contains(".")) {
          throw new IllegalArgumentException("not a domain name with a dot: " + domain);
        }
        this.domain = ascii;
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("not a domain name: " + domain, e);
      }
      return this;
    }

    /** Sets the public address mail leaves from, for the SPF and blocklist checks. */
    public Builder sendingAddress(InetAddress address) {
      this.sendingAddress = Objects.requireNonNull(address, "address");
      return this;
    }

    /**
     * Adds a DKIM selector and the private key the signer uses with it.
     *
     * @throws IllegalArgumentException when the key is not an RSA (1024+ bits) or Ed25519 key
     */
    public Builder dkimKey(String selector, PrivateKey key) {
      Objects.requireNonNull(selector, "selector");
      Objects.requireNonNull(key, "key");
      DkimSigner.builder().privateKey(key); // validates the kind and size of the key
      dkimKeys.put(selector, key);
      return this;
    }

    /** Also asks these blocklists about the sending address and the domain. */
    public Builder blocklists(BlocklistChecker checker) {
      this.blocklists = Objects.requireNonNull(checker, "checker");
      return this;
    }

    /**
     * Builds the check.
     *
     * @throws IllegalStateException when no domain is set
     */
    public Preflight build() {
      if (domain == null) {
        throw new IllegalStateException("a preflight check needs the sending domain");
      }
      return new Preflight(this);
    }
  }
}
