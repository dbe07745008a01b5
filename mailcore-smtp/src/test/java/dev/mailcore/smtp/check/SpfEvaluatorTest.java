package dev.mailcore.smtp.check;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mailcore.smtp.mx.DnsFault;
import dev.mailcore.smtp.mx.TestDnsServer;
import dev.mailcore.testing.ManualClock;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * SPF over real DNS packets: the examples of RFC 7208 Appendix A, then the themes of the
 * OpenSPF test suite (loops, limits, void look-ups, syntax, redirect, macros, DNS errors).
 */
@Timeout(60)
class SpfEvaluatorTest {
  private static final String EXAMPLE_COM =
      """
      @        MX 10 mail-a
      @        MX 20 mail-b
      @        A 192.0.2.10
      @        A 192.0.2.11
      amy      A 192.0.2.65
      bob      A 192.0.2.66
      mail-a   A 192.0.2.129
      mail-b   A 192.0.2.130
      www      CNAME example.com.
      """;

  private static final String THEMES =
      """
      loop        TXT "v=spf1 include:loop2.themes.test -all"
      loop2       TXT "v=spf1 include:loop.themes.test -all"
      many        A   192.0.2.99
      many        TXT "v=spf1 a a a a a a a a a a a -all"
      ten         A   192.0.2.99
      ten         TXT "v=spf1 a a a a a a a a a a -all"
      voids       TXT "v=spf1 a:nx1.themes.test a:nx2.themes.test a:nx3.themes.test -all"
      twovoids    TXT "v=spf1 a:nx1.themes.test a:nx2.themes.test -all"
      two         TXT "v=spf1 -all"
      two         TXT "v=spf1 +all"
      nospf       TXT "google-site-verification=abc"
      incnone     TXT "v=spf1 include:nospf.themes.test -all"
      red         TXT "v=spf1 redirect=target.themes.test"
      target      TXT "v=spf1 ip4:192.0.2.1 -all"
      rednone     TXT "v=spf1 redirect=nospf.themes.test"
      redskip     TXT "v=spf1 ip4:192.0.2.1 redirect=nospf.themes.test"
      incneutral  TXT "v=spf1 include:neutral.themes.test ip4:192.0.2.1 -all"
      neutral     TXT "v=spf1 ?all"
      unknownmech TXT "v=spf1 foo -all"
      badip       TXT "v=spf1 ip4:300.1.1.1 -all"
      lateerror   TXT "v=spf1 +all ip4:1.2.3"
      inctemp     TXT "v=spf1 include:broken.themes.test -all"
      broken      TXT "v=spf1 +all"
      v6          TXT "v=spf1 ip6:2001:db8::/32 -all"
      dual        AAAA 2001:db8:1:2::1
      dual        TXT "v=spf1 a//64 -all"
      exists      TXT "v=spf1 exists:%{ir}.%{l1r-}.lp._spf.%{d} -all"
      1.2.0.192.strong.lp._spf.exists A 127.0.0.2
      soft        TXT "v=spf1 ~all"
      noall       TXT "v=spf1 ip4:192.0.2.200"
      upper       TXT "V=SPF1 IP4:192.0.2.1 -ALL"
      unknownmod  TXT "v=spf1 foo=bar ip4:192.0.2.1 -all"
      """;

  private static TestDnsServer dns;

  @BeforeAll
  static void start() {
    dns =
        TestDnsServer.builder()
            .zone("example.com", EXAMPLE_COM)
            .zone("example.org", "@ MX 10 mail-c\nmail-c A 192.0.2.140\n")
            .zone(
                "2.0.192.in-addr.arpa",
                """
                10  PTR example.com.
                11  PTR example.com.
                65  PTR amy.example.com.
                66  PTR bob.example.com.
                129 PTR mail-a.example.com.
                130 PTR mail-b.example.com.
                140 PTR mail-c.example.org.
                """)
            .zone("themes.test", THEMES)
            .fault("broken.themes.test", DnsFault.SERVFAIL)
            .start();
  }

  @AfterAll
  static void stop() {
    dns.close();
  }

  private static SpfEvaluator evaluator() {
    return SpfEvaluator.builder()
        .dnsServer(dns.address())
        .timeout(Duration.ofMillis(500))
        .clock(ManualClock.ofDefaults())
        .build();
  }

  private static InetAddress ip(String literal) {
    try {
      return InetAddress.getByName(literal);
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  @ParameterizedTest(name = "{0} for {1} -> {2}")
  @CsvSource(
      delimiter = '|',
      value = {
        "v=spf1 +all|192.0.2.200|PASS",
        "v=spf1 a -all|192.0.2.10|PASS",
        "v=spf1 a -all|192.0.2.11|PASS",
        "v=spf1 a -all|192.0.2.65|FAIL",
        "v=spf1 a:example.org -all|192.0.2.10|FAIL",
        "v=spf1 mx -all|192.0.2.129|PASS",
        "v=spf1 mx -all|192.0.2.130|PASS",
        "v=spf1 mx -all|192.0.2.10|FAIL",
        "v=spf1 mx:example.org -all|192.0.2.140|PASS",
        "v=spf1 mx:example.org -all|192.0.2.129|FAIL",
        "v=spf1 mx mx:example.org -all|192.0.2.130|PASS",
        "v=spf1 mx mx:example.org -all|192.0.2.140|PASS",
        "v=spf1 mx/30 mx:example.org/30 -all|192.0.2.131|PASS",
        "v=spf1 mx/30 mx:example.org/30 -all|192.0.2.143|PASS",
        "v=spf1 mx/30 mx:example.org/30 -all|192.0.2.144|FAIL",
        "v=spf1 ptr -all|192.0.2.65|PASS",
        "v=spf1 ptr -all|192.0.2.10|PASS",
        "v=spf1 ptr -all|192.0.2.140|FAIL",
        "v=spf1 ip4:192.0.2.128/28 -all|192.0.2.65|FAIL",
        "v=spf1 ip4:192.0.2.128/28 -all|192.0.2.129|PASS",
      })
  void rfc7208AppendixAExamples(String record, String client, SpfResult expected) {
    dns.zone("example.com", EXAMPLE_COM + "@ TXT \"" + record + "\"\n");

    SpfEvaluation e = evaluator().evaluate(ip(client), "example.com", "postmaster@example.com");

    assertThat(e.result()).as(e.detail()).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0} for {1} -> {3}")
  @CsvSource(
      delimiter = '|',
      value = {
        "loop|192.0.2.1|x@loop.themes.test|PERMERROR|more than 10 DNS look-ups",
        "many|192.0.2.1|x@many.themes.test|PERMERROR|more than 10 DNS look-ups",
        "ten|192.0.2.1|x@ten.themes.test|FAIL|matched -all",
        "voids|192.0.2.1|x@voids.themes.test|PERMERROR|void",
        "twovoids|192.0.2.1|x@twovoids.themes.test|FAIL|matched -all",
        "two|192.0.2.1|x@two.themes.test|PERMERROR|2 SPF records",
        "nospf|192.0.2.1|x@nospf.themes.test|NONE|no SPF record",
        "nothere|192.0.2.1|x@nothere.themes.test|NONE|no SPF record",
        "incnone|192.0.2.1|x@incnone.themes.test|PERMERROR|include:nospf.themes.test gives none",
        "red|192.0.2.1|x@red.themes.test|PASS|matched ip4:192.0.2.1",
        "red|192.0.2.2|x@red.themes.test|FAIL|matched -all",
        "rednone|192.0.2.1|x@rednone.themes.test|PERMERROR|without SPF record",
        "redskip|192.0.2.1|x@redskip.themes.test|PASS|matched ip4:192.0.2.1",
        "incneutral|192.0.2.1|x@incneutral.themes.test|PASS|matched ip4:192.0.2.1",
        "unknownmech|192.0.2.1|x@unknownmech.themes.test|PERMERROR|unknown mechanism",
        "badip|192.0.2.1|x@badip.themes.test|PERMERROR|not an IPv4 network",
        "lateerror|192.0.2.1|x@lateerror.themes.test|PERMERROR|not an IPv4 network",
        "inctemp|192.0.2.1|x@inctemp.themes.test|TEMPERROR|SERVFAIL",
        "broken|192.0.2.1|x@broken.themes.test|TEMPERROR|SERVFAIL",
        "v6|2001:db8::1|x@v6.themes.test|PASS|matched ip6:2001:db8::/32",
        "v6|2001:db9::1|x@v6.themes.test|FAIL|matched -all",
        "v6|192.0.2.1|x@v6.themes.test|FAIL|matched -all",
        "dual|2001:db8:1:2::ffff|x@dual.themes.test|PASS|matched a//64",
        "dual|2001:db8:1:3::1|x@dual.themes.test|FAIL|matched -all",
        "exists|192.0.2.1|strong-bad@exists.themes.test|PASS|matched exists:",
        "exists|192.0.2.1|weak-bad@exists.themes.test|FAIL|matched -all",
        "soft|192.0.2.1|x@soft.themes.test|SOFTFAIL|matched ~all",
        "neutral|192.0.2.1|x@neutral.themes.test|NEUTRAL|matched ?all",
        "noall|192.0.2.1|x@noall.themes.test|NEUTRAL|no mechanism",
        "upper|192.0.2.1|x@upper.themes.test|PASS|matched IP4:192.0.2.1",
        "unknownmod|192.0.2.1|x@unknownmod.themes.test|PASS|matched ip4:192.0.2.1",
      })
  void openSpfTestSuiteThemes(String label, String client, String sender, SpfResult expected, String detail) {
    SpfEvaluation e = evaluator().evaluate(ip(client), label + ".themes.test", sender);

    assertThat(e.result()).as(e.detail()).isEqualTo(expected);
    assertThat(e.detail()).contains(detail);
  }

  @Test
  void lookupsAreCountedAndReported() {
    SpfEvaluation e = evaluator().evaluate(ip("192.0.2.1"), "ten.themes.test", "x@ten.themes.test");

    assertThat(e.dnsLookups()).isEqualTo(10);
    assertThat(e.voidLookups()).isZero();
    assertThat(e.mechanism()).isEqualTo("-all");
  }

  @Test
  void existsQueriesTheExpandedName() {
    dns.resetQueries();

    evaluator().evaluate(ip("192.0.2.1"), "exists.themes.test", "strong-bad@exists.themes.test");

    assertThat(dns.queryCount("1.2.0.192.strong.lp._spf.exists.themes.test", "A")).isEqualTo(1);
  }

  @Test
  void timeOutIsTemperror() {
    dns.fault("slow.themes.test", DnsFault.DROP);

    SpfEvaluation e = evaluator().evaluate(ip("192.0.2.1"), "slow.themes.test", "x@slow.themes.test");

    assertThat(e.result()).isEqualTo(SpfResult.TEMPERROR);
    assertThat(e.detail()).contains("no answer");
  }

  @Test
  void notADomainIsNone() {
    SpfEvaluation e = evaluator().evaluate(ip("192.0.2.1"), "localhost", "x@localhost");

    assertThat(e.result()).isEqualTo(SpfResult.NONE);
  }
}
