package dev.mailcore.smtp.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailcore.MailFormatException;
import dev.mailcore.smtp.mx.DnsFault;
import dev.mailcore.smtp.mx.TestDnsServer;
import dev.mailcore.testing.ManualClock;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Real DNS packets: every list is a zone of a {@link TestDnsServer} on loopback. */
@Timeout(30)
class BlocklistCheckerTest {
  private static final String V6_NIBBLES =
      "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2";

  private TestDnsServer dns;
  private final ManualClock clock = ManualClock.ofDefaults();

  @BeforeEach
  void start() {
    dns =
        TestDnsServer.builder()
            .zone(
                "bl.test",
                """
                4.3.2.1 300 IN A 127.0.0.2
                4.3.2.1 300 IN A 127.0.0.10
                4.3.2.1 300 IN TXT "Listed: see https://bl.test/q?ip=1.2.3.4"
                9.9.9.9 300 IN A 127.255.255.254
                8.8.8.8 300 IN A 10.0.0.1
                %s 300 IN A 127.0.0.3
                """
                    .formatted(V6_NIBBLES))
            .zone("clean.test", "")
            .zone("slow.test", "")
            .zone(
                "dbl.test",
                """
                spam.example 600 IN A 127.0.1.2
                spam.example 600 IN TXT "Spam domain" "; see https://dbl.test/spam.example"
                """)
            .start();
  }

  @AfterEach
  void stop() {
    dns.close();
  }

  private BlocklistChecker.Builder checker() {
    return BlocklistChecker.builder()
        .dnsServer(dns.address())
        .timeout(Duration.ofMillis(300))
        .clock(clock);
  }

  private static InetAddress ip(String literal) {
    try {
      return InetAddress.getByName(literal); // a literal: no DNS look-up happens
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void listedIpv4GivesReturnCodesAndReason() {
    BlocklistChecker c = checker().addressLists(List.of("bl.test")).build();

    BlocklistReport report = c.check(ip("1.2.3.4"));

    BlocklistResult r = report.results().get(0);
    assertThat(r.status()).isEqualTo(BlocklistStatus.LISTED);
    assertThat(r.query()).isEqualTo("4.3.2.1.bl.test");
    assertThat(r.returnCodes()).containsExactlyInAnyOrder("127.0.0.2", "127.0.0.10");
    assertThat(r.reasons()).containsExactly("Listed: see https://bl.test/q?ip=1.2.3.4");
    assertThat(report.isListed()).isTrue();
    assertThat(dns.queryCount("4.3.2.1.bl.test", "A")).isEqualTo(1);
    assertThat(dns.queryCount("4.3.2.1.bl.test", "TXT")).isEqualTo(1);
  }

  @Test
  void nxdomainIsNotListed() {
    BlocklistChecker c = checker().addressLists(List.of("clean.test")).build();

    BlocklistReport report = c.check(ip("192.0.2.10"));

    assertThat(report.results().get(0).status()).isEqualTo(BlocklistStatus.NOT_LISTED);
    assertThat(report.isClean()).isTrue();
    assertThat(dns.queries()).extracting(TestDnsServer.Query::name).containsExactly("10.2.0.192.clean.test.");
  }

  @Test
  void ipv6IsAskedAsReversedNibbles() {
    BlocklistChecker c = checker().addressLists(List.of("bl.test")).build();

    BlocklistResult r = c.check(ip("2001:db8::1")).results().get(0);

    assertThat(r.query()).isEqualTo(V6_NIBBLES + ".bl.test");
    assertThat(r.status()).isEqualTo(BlocklistStatus.LISTED);
    assertThat(dns.queryCount(V6_NIBBLES + ".bl.test", "A")).isEqualTo(1);
  }

  @Test
  void domainIsAskedUnderTheDomainList() {
    BlocklistChecker c = checker().domainLists(List.of("dbl.test")).build();

    BlocklistResult r = c.check("Spam.Example").results().get(0);

    assertThat(r.query()).isEqualTo("spam.example.dbl.test");
    assertThat(r.status()).isEqualTo(BlocklistStatus.LISTED);
    assertThat(r.returnCodes()).containsExactly("127.0.1.2");
    assertThat(r.reasons()).containsExactly("Spam domain; see https://dbl.test/spam.example");
  }

  @Test
  void timeOutIsUnknownNeverClean() {
    dns.fault("4.3.2.1.slow.test", DnsFault.DROP);
    BlocklistChecker c = checker().addressLists(List.of("slow.test")).build();

    BlocklistReport report = c.check(ip("1.2.3.4"));

    BlocklistResult r = report.results().get(0);
    assertThat(r.status()).isEqualTo(BlocklistStatus.UNKNOWN);
    assertThat(r.detail()).contains("no answer").contains("PT0.3S");
    assertThat(report.isClean()).isFalse();
    assertThat(report.unknown()).containsExactly(r);
  }

  @Test
  void servfailIsUnknown() {
    dns.fault("4.3.2.1.clean.test", DnsFault.SERVFAIL);
    BlocklistChecker c = checker().addressLists(List.of("clean.test")).build();

    BlocklistResult r = c.check(ip("1.2.3.4")).results().get(0);

    assertThat(r.status()).isEqualTo(BlocklistStatus.UNKNOWN);
    assertThat(r.detail()).contains("SERVFAIL");
  }

  @Test
  void listErrorCodeIsUnknown() {
    BlocklistChecker c = checker().addressLists(List.of("bl.test")).build();

    BlocklistResult r = c.check(ip("9.9.9.9")).results().get(0);

    assertThat(r.status()).isEqualTo(BlocklistStatus.UNKNOWN);
    assertThat(r.returnCodes()).containsExactly("127.255.255.254");
    assertThat(r.detail()).contains("error code");
  }

  @Test
  void answerOutsideLoopbackRangeIsUnknown() {
    BlocklistChecker c = checker().addressLists(List.of("bl.test")).build();

    BlocklistResult r = c.check(ip("8.8.8.8")).results().get(0);

    assertThat(r.status()).isEqualTo(BlocklistStatus.UNKNOWN);
    assertThat(r.detail()).contains("outside 127.0.0.0/8");
  }

  @Test
  void eachListAnswersOnItsOwn() {
    dns.fault("4.3.2.1.slow.test", DnsFault.DROP);
    BlocklistChecker c = checker().addressLists(List.of("bl.test", "clean.test", "slow.test")).build();

    BlocklistReport report = c.check(ip("1.2.3.4"));

    assertThat(report.results())
        .extracting(BlocklistResult::list, BlocklistResult::status)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("bl.test", BlocklistStatus.LISTED),
            org.assertj.core.groups.Tuple.tuple("clean.test", BlocklistStatus.NOT_LISTED),
            org.assertj.core.groups.Tuple.tuple("slow.test", BlocklistStatus.UNKNOWN));
  }

  @Test
  void listingIsCachedForItsTtl() {
    BlocklistChecker c = checker().addressLists(List.of("bl.test")).build();

    c.check(ip("1.2.3.4"));
    clock.advance(Duration.ofSeconds(299));
    c.check(ip("1.2.3.4"));
    assertThat(dns.queryCount("4.3.2.1.bl.test", "A")).isEqualTo(1);

    clock.advance(Duration.ofSeconds(1));
    c.check(ip("1.2.3.4"));
    assertThat(dns.queryCount("4.3.2.1.bl.test", "A")).isEqualTo(2);
  }

  @Test
  void notListedIsCachedForTheNegativeTtl() {
    BlocklistChecker c = checker().addressLists(List.of("clean.test")).build();

    c.check(ip("192.0.2.1"));
    clock.advance(Duration.ofSeconds(299));
    c.check(ip("192.0.2.1"));
    assertThat(dns.queryCount("1.2.0.192.clean.test", "A")).isEqualTo(1);

    clock.advance(Duration.ofSeconds(1));
    c.check(ip("192.0.2.1"));
    assertThat(dns.queryCount("1.2.0.192.clean.test", "A")).isEqualTo(2);
  }

  @Test
  void unknownIsNotCached() {
    dns.fault("4.3.2.1.clean.test", DnsFault.SERVFAIL);
    BlocklistChecker c = checker().addressLists(List.of("clean.test")).build();
    c.check(ip("1.2.3.4"));

    dns.clearFault("4.3.2.1.clean.test");
    BlocklistResult r = c.check(ip("1.2.3.4")).results().get(0);

    assertThat(r.status()).isEqualTo(BlocklistStatus.NOT_LISTED);
    assertThat(dns.queryCount("4.3.2.1.clean.test", "A")).isEqualTo(2);
  }

  @Test
  void badDomainIsRefused() {
    BlocklistChecker c = checker().domainLists(List.of("dbl.test")).build();

    assertThatThrownBy(() -> c.check("no_dots")).isInstanceOf(MailFormatException.class);
  }

  @Test
  void checkerWithoutListsIsRefused() {
    assertThatThrownBy(() -> checker().build()).isInstanceOf(IllegalStateException.class);
  }
}
