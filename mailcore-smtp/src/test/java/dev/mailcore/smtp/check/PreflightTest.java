package dev.mailcore.smtp.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailcore.smtp.dkim.DkimKeys;
import dev.mailcore.smtp.mx.DnsFault;
import dev.mailcore.smtp.mx.TestDnsServer;
import dev.mailcore.testing.ManualClock;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Preflight over real DNS packets from a {@link TestDnsServer}. */
@Timeout(60)
class PreflightTest {
  private static final PrivateKey RSA = DkimKeys.parsePrivateKey(resource("rsa-2048.pem"));
  private static final KeyPair ED25519 =
      new KeyPair(DkimKeys.parsePublicKey(resource("ed25519.pub.pem")), DkimKeys.parsePrivateKey(resource("ed25519.pem")));

  private static final PrivateKey RSA_1024 = DkimKeys.parsePrivateKey(resource("rsa-1024.pem"));

  private TestDnsServer dns;

  private static String resource(String name) {
    try (InputStream in = PreflightTest.class.getResourceAsStream("/dkim/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A key's TXT record in master-file form: quoted strings of at most 255 bytes. */
  private static String txt(PublicKey key) {
    return "TXT \"" + String.join("\" \"", DkimKeys.txtRecordStrings(key)) + "\"";
  }

  private static String rsaRecord() {
    return DkimKeys.txtRecord(DkimKeys.publicKeyOf(RSA).orElseThrow());
  }

  @BeforeEach
  void start() {
    dns =
        TestDnsServer.builder()
            .zone(
                "shop.example",
                String.join(
                    "\n",
                    "@ TXT \"v=spf1 ip4:192.0.2.10 -all\"",
                    "_dmarc TXT \"v=DMARC1; p=reject; rua=mailto:dmarc@shop.example\"",
                    "s1._domainkey " + txt(DkimKeys.publicKeyOf(RSA).orElseThrow()),
                    "ed._domainkey " + txt(ED25519.getPublic()),
                    "short._domainkey " + txt(DkimKeys.publicKeyOf(RSA_1024).orElseThrow()),
                    "old._domainkey TXT \"v=DKIM1; k=rsa; p=\"",
                    "test._domainkey TXT \"v=DKIM1; t=y; k=ed25519; p=" + DkimKeys.txtRecord(ED25519.getPublic()).split("p=")[1] + "\"",
                    "mail TXT \"v=spf1 ip4:192.0.2.10 -all\"",
                    ""))
            .zone("bare.example", "")
            .zone(
                "loose.example",
                "@ TXT \"v=spf1 +all\"\n_dmarc TXT \"v=DMARC1; p=none\"\n")
            .zone("broken.example", "@ TXT \"v=spf1 -all\"\n_dmarc TXT \"v=DMARC1; p=maybe\"\n")
            .zone("bl.test", "10.2.0.192 A 127.0.0.2\n10.2.0.192 TXT \"see https://bl.test/192.0.2.10\"\n")
            .start();
  }

  @AfterEach
  void stop() {
    dns.close();
  }

  private Preflight.Builder preflight(String domain) {
    return Preflight.builder()
        .domain(domain)
        .sendingAddress(ip("192.0.2.10"))
        .dnsServer(dns.address())
        .timeout(Duration.ofMillis(500))
        .clock(ManualClock.ofDefaults());
  }

  private static InetAddress ip(String literal) {
    try {
      return InetAddress.getByName(literal);
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  private static PreflightFinding finding(PreflightReport r, String check) {
    return r.findings().stream().filter(f -> f.check().equals(check)).findFirst().orElseThrow();
  }

  @Test
  void wellConfiguredDomainIsAllOk() {
    PreflightReport r = preflight("shop.example").dkimKey("s1", RSA).dkimKey("ed", ED25519.getPrivate()).build().run();

    assertThat(r.findings()).extracting(PreflightFinding::severity).containsOnly(Severity.OK);
    assertThat(r.findings()).extracting(PreflightFinding::check).containsExactly("SPF", "DMARC", "DKIM ed", "DKIM s1");
    assertThat(r.spf().orElseThrow().result()).isEqualTo(SpfResult.PASS);
    assertThat(r.hasErrors()).isFalse();
    assertThat(dns.queryCount("s1._domainkey.shop.example", "TXT")).isEqualTo(1);
  }

  @Test
  void missingRecordsAreErrorsWithTheRecordsToPublish() {
    PreflightReport r = preflight("bare.example").dkimKey("s1", RSA).build().run();

    assertThat(r.hasErrors()).isTrue();
    assertThat(finding(r, "SPF").fix()).contains("at bare.example: \"v=spf1 ip4:192.0.2.10 -all\"");
    assertThat(finding(r, "DMARC").fix()).contains("_dmarc.bare.example").contains("v=DMARC1; p=none");
    assertThat(finding(r, "DKIM s1").severity()).isEqualTo(Severity.ERROR);
    assertThat(finding(r, "DKIM s1").fix()).contains("s1._domainkey.bare.example").contains(rsaRecord());
  }

  @Test
  void publishedKeyOfAnotherPairIsAnError() {
    PreflightReport r = preflight("shop.example").dkimKey("s1", ED25519.getPrivate()).build().run();

    PreflightFinding f = finding(r, "DKIM s1");
    assertThat(f.severity()).isEqualTo(Severity.ERROR);
    assertThat(f.summary()).contains("not the public half");
  }

  @Test
  void revokedKeyIsAnError() {
    PreflightReport r = preflight("shop.example").dkimKey("old", RSA).build().run();

    assertThat(finding(r, "DKIM old").summary()).contains("revoked");
    assertThat(finding(r, "DKIM old").severity()).isEqualTo(Severity.ERROR);
  }

  @Test
  void shortRsaKeyIsAWarning() {
    PreflightReport r = preflight("shop.example").dkimKey("short", RSA_1024).build().run();

    assertThat(r.findings())
        .filteredOn(f -> f.check().equals("DKIM short") && f.severity() == Severity.WARNING)
        .singleElement()
        .satisfies(f -> assertThat(f.summary()).contains("1024 bits"));
  }

  @Test
  void ed25519FixGivesTheExactRecord() {
    PreflightReport r = preflight("bare.example").dkimKey("ed", ED25519.getPrivate()).build().run();

    assertThat(finding(r, "DKIM ed").fix()).contains(DkimKeys.txtRecord(ED25519.getPublic()));
  }

  @Test
  void testingFlagIsAWarning() {
    PreflightReport r = preflight("shop.example").dkimKey("test", ED25519.getPrivate()).build().run();

    assertThat(r.findings())
        .filteredOn(f -> f.check().equals("DKIM test"))
        .extracting(PreflightFinding::severity)
        .containsExactly(Severity.OK, Severity.WARNING);
  }

  @Test
  void spfFailForTheSendingAddressSaysWhatToAdd() {
    PreflightReport r = preflight("shop.example").sendingAddress(ip("198.51.100.7")).build().run();

    PreflightFinding f = finding(r, "SPF");
    assertThat(f.severity()).isEqualTo(Severity.ERROR);
    assertThat(f.fix()).contains("'ip4:198.51.100.7'");
  }

  @Test
  void plusAllAndMonitoringPolicyAreFlagged() {
    PreflightReport r = preflight("loose.example").build().run();

    assertThat(finding(r, "SPF").severity()).isEqualTo(Severity.ERROR);
    assertThat(finding(r, "SPF").summary()).contains("+all");
    assertThat(finding(r, "DMARC").severity()).isEqualTo(Severity.WARNING);
    assertThat(finding(r, "DMARC").fix()).contains("p=quarantine").contains("rua=");
  }

  @Test
  void invalidDmarcPolicyIsAnError() {
    PreflightReport r = preflight("broken.example").build().run();

    assertThat(finding(r, "DMARC").severity()).isEqualTo(Severity.ERROR);
    assertThat(finding(r, "DMARC").summary()).contains("p=maybe");
  }

  @Test
  void dmarcOfTheOrganizationalDomainApplies() {
    PreflightReport r = preflight("mail.shop.example").build().run();

    assertThat(finding(r, "DMARC").severity()).isEqualTo(Severity.OK);
    assertThat(finding(r, "DMARC").summary()).contains("inherited from the organizational domain shop.example");
    assertThat(dns.queryCount("_dmarc.mail.shop.example", "TXT")).isEqualTo(1);
    assertThat(dns.queryCount("_dmarc.shop.example", "TXT")).isEqualTo(1);
  }

  @Test
  void dnsFailureIsAWarningNotAVerdict() {
    dns.fault("_dmarc.shop.example", DnsFault.SERVFAIL);

    PreflightReport r = preflight("shop.example").build().run();

    assertThat(finding(r, "DMARC").severity()).isEqualTo(Severity.WARNING);
    assertThat(finding(r, "DMARC").summary()).contains("SERVFAIL");
  }

  @Test
  void listedSendingAddressIsAnError() {
    BlocklistChecker lists =
        BlocklistChecker.builder().addressLists(List.of("bl.test")).dnsServer(dns.address()).clock(ManualClock.ofDefaults()).build();

    PreflightReport r = preflight("shop.example").blocklists(lists).build().run();

    PreflightFinding f = finding(r, "BLOCKLIST");
    assertThat(f.severity()).isEqualTo(Severity.ERROR);
    assertThat(f.summary()).contains("192.0.2.10 is listed on bl.test").contains("https://bl.test/192.0.2.10");
  }

  @Test
  void reportPrintsEachFindingWithItsFix() {
    PreflightReport r = preflight("bare.example").build().run();

    assertThat(r.toString())
        .startsWith("Preflight for bare.example: ERROR")
        .contains("[ERROR] SPF: bare.example publishes no SPF record")
        .contains("fix: publish a TXT record at _dmarc.bare.example");
  }

  @Test
  void domainIsRequired() {
    assertThatThrownBy(() -> Preflight.builder().build()).isInstanceOf(IllegalStateException.class);
  }
}
