package dev.mailcore.smtp.mx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mailcore.MailFormatException;
import dev.mailcore.Mailbox;
import dev.mailcore.testing.ManualClock;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class DnsMxResolverTest {
  private static TestDnsServer dns;
  private ManualClock clock;
  private DnsMxResolver resolver;

  @BeforeAll
  static void startDns() {
    dns =
        TestDnsServer.builder()
            .zone(
                "backup.test",
                """
                @    300 IN MX 20 mx2
                @    300 IN MX 10 mx1
                mx1  300 IN A 127.0.0.2
                mx2  300 IN A 127.0.0.3
                """)
            .zone("aonly.test", "@ 300 IN A 127.0.0.4\n@ 300 IN AAAA ::1\n")
            .zone("nullmx.test", "@ 300 IN MX 0 .\n")
            .zone("empty.test", "@ 300 IN TXT \"no mail here\"\n")
            .zone("broken.test", "@ 300 IN MX 10 mx\nmx 300 IN A 127.0.0.2\n")
            .fault("broken.test", DnsFault.SERVFAIL)
            .zone("silent.test", "@ 300 IN MX 10 mx\n")
            .fault("silent.test", DnsFault.DROP)
            .zone(
                "equal.test",
                """
                @  300 IN MX 10 a
                @  300 IN MX 10 b
                @  300 IN MX 5  first
                a  300 IN A 127.0.0.2
                b  300 IN A 127.0.0.3
                first 300 IN A 127.0.0.4
                """)
            .zone(
                "cname.test",
                """
                @      300 IN MX 10 alias
                alias  300 IN CNAME real
                real   300 IN A 127.0.0.5
                www    300 IN CNAME @
                """)
            .zone("xn--bcher-kva.example", "@ 300 IN MX 10 mx\nmx 300 IN A 127.0.0.6\n")
            .zone(
                "v6.test",
                """
                @     300 IN MX 10 dual
                @     300 IN MX 20 only6
                dual  300 IN A 127.0.0.7
                dual  300 IN AAAA ::1
                only6 300 IN AAAA ::1
                """)
            .zone(
                "skip.test",
                """
                @       300 IN MX 10 noaddr
                @       300 IN MX 20 gone
                @       300 IN MX 30 mx
                noaddr  300 IN TXT "no address"
                mx      300 IN A 127.0.0.8
                """)
            .zone(
                "alldead.test",
                "@ 300 IN MX 10 gone\n@ 300 IN MX 20 nothing\nnothing 300 IN TXT x\n")
            // one MX host is missing, the other's address queries get SERVFAIL: a DNS failure
            .zone(
                "halfdead.test", "@ 300 IN MX 10 gone\n@ 300 IN MX 20 sick\nsick 300 IN A 127.0.0.2\n")
            .fault("sick.halfdead.test", DnsFault.SERVFAIL)
            .zone("ttl.test", "@ 60 IN MX 10 mx\nmx 120 IN A 127.0.0.9\n")
            .zone(
                "neg.test",
                // SOA minimum 30: negative answers live 30 s
                "@ 300 IN SOA ns hostmaster 1 3600 600 86400 30\n"
                    + "@ 300 IN NS ns\n"
                    + "ns 300 IN A 127.0.0.1\n")
            .zone(
                "longneg.test",
                "@ 300 IN SOA ns hostmaster 1 3600 600 86400 7200\n@ 300 IN NS ns\n")
            .zone("big.test", bigZone())
            .fault("big.test", DnsFault.TRUNCATE_UDP)
            .start();
  }

  private static String bigZone() {
    StringBuilder z = new StringBuilder("@ 300 IN MX 10 mx\n");
    for (int i = 1; i <= 40; i++) {
      z.append("mx 300 IN A 127.0.1.").append(i).append('\n');
    }
    return z.toString();
  }

  @AfterAll
  static void stopDns() {
    dns.close();
  }

  @BeforeEach
  void newResolver() {
    dns.resetQueries();
    clock = ManualClock.ofDefaults();
    resolver = resolver(new Random(1));
  }

  private DnsMxResolver resolver(Random random) {
    return dns.resolverBuilder().clock(clock).random(random).build();
  }

  private static InetAddress ip(String text) {
    try {
      return InetAddress.getByName(text);
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  private static List<MxHost> hosts(MxLookup lookup) {
    assertThat(lookup).isInstanceOf(MxLookup.Hosts.class);
    return ((MxLookup.Hosts) lookup).hosts();
  }

  @Test
  void sortsHostsByPreferenceWithTheBackupLast() {
    MxLookup lookup = resolver.lookup("backup.test");

    assertThat(hosts(lookup))
        .containsExactly(
            new MxHost("mx1.backup.test", 10, List.of(ip("127.0.0.2"))),
            new MxHost("mx2.backup.test", 20, List.of(ip("127.0.0.3"))));
    assertThat(((MxLookup.Hosts) lookup).implicit()).isFalse();
  }

  @Test
  void usesTheDomainsOwnAddressesWhenThereIsNoMx() {
    MxLookup lookup = resolver.lookup("aonly.test");

    assertThat(lookup)
        .isEqualTo(
            new MxLookup.Hosts(
                List.of(new MxHost("aonly.test", 0, List.of(ip("127.0.0.4"), ip("::1")))), true));
  }

  @Test
  void reportsNullMxAsPermanent() {
    MxLookup lookup = resolver.lookup("nullmx.test");

    assertThat(lookup).isEqualTo(new MxLookup.NullMx("nullmx.test"));
    assertThat(lookup.isPermanentFailure()).isTrue();
  }

  @Test
  void reportsNxdomainAsNoSuchDomain() {
    MxLookup lookup = resolver.lookup("nowhere.backup.test");

    assertThat(lookup).isEqualTo(new MxLookup.NoSuchDomain("nowhere.backup.test"));
    assertThat(lookup.isPermanentFailure()).isTrue();
  }

  @Test
  void reportsADomainWithNeitherMxNorAddressAsNoSuchDomain() {
    assertThat(resolver.lookup("empty.test")).isEqualTo(new MxLookup.NoSuchDomain("empty.test"));
  }

  @Test
  void reportsServfailAsTemporary() {
    MxLookup lookup = resolver.lookup("broken.test");

    assertThat(lookup).isInstanceOf(MxLookup.TemporaryFailure.class);
    assertThat(((MxLookup.TemporaryFailure) lookup).reason())
        .contains("SERVFAIL", "broken.test/MX");
    assertThat(lookup.isPermanentFailure()).isFalse();
  }

  @Test
  void reportsATimeOutAsTemporary() {
    MxLookup lookup = resolver.lookup("silent.test");

    assertThat(lookup).isInstanceOf(MxLookup.TemporaryFailure.class);
    assertThat(((MxLookup.TemporaryFailure) lookup).reason()).contains("silent.test/MX");
  }

  @Test
  void retriesAQueryThatGetsNoAnswer() {
    DnsMxResolver patient =
        DnsMxResolver.builder()
            .server(dns.address())
            .timeout(Duration.ofMillis(200))
            .retries(2)
            .clock(clock)
            .build();

    patient.lookup("silent.test");

    assertThat(dns.queryCount("silent.test", "MX")).isEqualTo(3);
  }

  @Test
  void doesNotCacheTemporaryFailures() {
    resolver.lookup("broken.test");
    resolver.lookup("broken.test");

    assertThat(dns.queryCount("broken.test", "MX")).isEqualTo(2);
  }

  @Test
  void putsThePreferredHostFirstAndShufflesEqualPreferences() {
    Set<List<String>> orders = new HashSet<>();
    for (int seed = 0; seed < 20; seed++) {
      List<MxHost> hosts = hosts(resolver(new Random(seed)).lookup("equal.test"));
      assertThat(hosts.get(0).name()).isEqualTo("first.equal.test");
      orders.add(hosts.stream().map(MxHost::name).toList());
    }

    assertThat(orders)
        .containsExactlyInAnyOrder(
            List.of("first.equal.test", "a.equal.test", "b.equal.test"),
            List.of("first.equal.test", "b.equal.test", "a.equal.test"));
  }

  @Test
  void followsACnameFromTheMxTargetToTheHost() {
    assertThat(hosts(resolver.lookup("cname.test")))
        .containsExactly(new MxHost("alias.cname.test", 10, List.of(ip("127.0.0.5"))));
  }

  @Test
  void followsACnameOnTheDomainItself() {
    assertThat(hosts(resolver.lookup("www.cname.test")))
        .extracting(MxHost::name)
        .containsExactly("alias.cname.test");
  }

  @Test
  void looksUpAnIdnDomainInAsciiForm() {
    Mailbox bob = Mailbox.of("bob", "bücher.example");

    MxLookup lookup = resolver.lookup(bob.domain());

    assertThat(hosts(lookup))
        .containsExactly(new MxHost("mx.xn--bcher-kva.example", 10, List.of(ip("127.0.0.6"))));
    assertThat(dns.queryCount(bob.asciiDomain(), "MX")).isEqualTo(1);
  }

  @Test
  void givesEachHostItsIpv4AndIpv6Addresses() {
    assertThat(hosts(resolver.lookup("v6.test")))
        .containsExactly(
            new MxHost("dual.v6.test", 10, List.of(ip("127.0.0.7"), ip("::1"))),
            new MxHost("only6.v6.test", 20, List.of(ip("::1"))));
  }

  @Test
  void skipsMxHostsWithoutAddress() {
    assertThat(hosts(resolver.lookup("skip.test")))
        .extracting(MxHost::name)
        .containsExactly("mx.skip.test");
  }

  @Test
  void reportsMxHostsThatDnsSaysAllLackAddressesAsAPermanentFailure() {
    MxLookup lookup = resolver.lookup("alldead.test");

    assertThat(lookup).isInstanceOf(MxLookup.NoMailHost.class);
    assertThat(lookup.isPermanentFailure()).isTrue();
    MxLookup.NoMailHost none = (MxLookup.NoMailHost) lookup;
    assertThat(none.domain()).isEqualTo("alldead.test");
    assertThat(none.reason())
        .contains("gone.alldead.test (no such host)", "nothing.alldead.test (no address records)");
  }

  @Test
  void reportsMxHostsWithoutAddressAsTemporaryWhenDnsFailedForOne() {
    MxLookup lookup = resolver.lookup("halfdead.test");

    assertThat(lookup).isInstanceOf(MxLookup.TemporaryFailure.class);
    assertThat(((MxLookup.TemporaryFailure) lookup).reason())
        .contains("gone.halfdead.test (no such host)", "sick.halfdead.test", "SERVFAIL");
  }

  @Test
  void answersASecondLookupFromTheCacheUntilTheTtlPasses() {
    resolver.lookup("ttl.test");
    clock.advance(Duration.ofSeconds(59));
    MxLookup second = resolver.lookup("ttl.test");

    assertThat(dns.queryCount("ttl.test", "MX")).isEqualTo(1);
    assertThat(dns.queryCount("mx.ttl.test", "A")).isEqualTo(1);
    assertThat(hosts(second)).extracting(MxHost::name).containsExactly("mx.ttl.test");

    clock.advance(Duration.ofSeconds(1));
    resolver.lookup("ttl.test");

    assertThat(dns.queryCount("ttl.test", "MX")).isEqualTo(2);
    assertThat(dns.queryCount("mx.ttl.test", "A")).isEqualTo(1); // its TTL is 120 s
  }

  @Test
  void cachesNxdomainForTheSoaNegativeTtl() {
    resolver.lookup("missing.neg.test");
    clock.advance(Duration.ofSeconds(29));
    assertThat(resolver.lookup("missing.neg.test")).isInstanceOf(MxLookup.NoSuchDomain.class);
    assertThat(dns.queryCount("missing.neg.test", "MX")).isEqualTo(1);

    clock.advance(Duration.ofSeconds(1));
    resolver.lookup("missing.neg.test");

    assertThat(dns.queryCount("missing.neg.test", "MX")).isEqualTo(2);
  }

  @Test
  void capsTheNegativeTtl() {
    DnsMxResolver capped =
        DnsMxResolver.builder()
            .server(dns.address())
            .clock(clock)
            .maxNegativeTtl(Duration.ofMinutes(1))
            .build();

    capped.lookup("missing.longneg.test");
    clock.advance(Duration.ofSeconds(59));
    capped.lookup("missing.longneg.test");
    assertThat(dns.queryCount("missing.longneg.test", "MX")).isEqualTo(1);

    clock.advance(Duration.ofSeconds(1));
    capped.lookup("missing.longneg.test");

    assertThat(dns.queryCount("missing.longneg.test", "MX")).isEqualTo(2);
  }

  @Test
  void repeatsATruncatedAnswerOverTcp() {
    MxLookup lookup = resolver.lookup("big.test");

    assertThat(hosts(lookup)).singleElement().satisfies(h -> assertThat(h.addresses()).hasSize(40));
    assertThat(dns.queries()).anyMatch(TestDnsServer.Query::tcp);
  }

  @Test
  void looksUpAHostWithoutMx() {
    assertThat(resolver.lookupHost("mx1.backup.test"))
        .isEqualTo(
            new MxLookup.Hosts(
                List.of(new MxHost("mx1.backup.test", 0, List.of(ip("127.0.0.2")))), true));
    assertThat(dns.queryCount("mx1.backup.test", "MX")).isZero();
  }

  @Test
  void rejectsSomethingThatIsNotADomainName() {
    assertThatThrownBy(() -> resolver.lookup("")).isInstanceOf(MailFormatException.class);
    assertThatThrownBy(() -> resolver.lookup("a..b")).isInstanceOf(MailFormatException.class);
  }

  @Test
  void servesConcurrentLookups() throws InterruptedException {
    List<Thread> threads = new java.util.ArrayList<>();
    List<MxLookup> results = new java.util.concurrent.CopyOnWriteArrayList<>();
    for (int i = 0; i < 8; i++) {
      Thread t = new Thread(() -> results.add(resolver.lookup("backup.test")));
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }

    assertThat(results).hasSize(8).allSatisfy(r -> assertThat(hosts(r)).hasSize(2));
  }

  @Test
  void asksTheNextServerWhenTheFirstFails() {
    try (TestDnsServer failing =
        TestDnsServer.builder()
            .zone("backup.test", "@ 300 IN MX 10 other\nother 300 IN A 127.0.0.9\n")
            .fault("backup.test", DnsFault.SERVFAIL)
            .fault("mx1.backup.test", DnsFault.SERVFAIL)
            .fault("mx2.backup.test", DnsFault.SERVFAIL)
            .start()) {
      DnsMxResolver two =
          DnsMxResolver.builder()
              .server(failing.address())
              .server(dns.address())
              .timeout(Duration.ofMillis(300))
              .retries(1)
              .clock(clock)
              .build();

      assertThat(hosts(two.lookup("backup.test")))
          .extracting(MxHost::name)
          .containsExactly("mx1.backup.test", "mx2.backup.test");
      assertThat(failing.queryCount("backup.test", "MX")).isEqualTo(1); // not asked again
    }
  }

  @Test
  void asksTheNextServerWhenTheFirstIsSilent() {
    try (TestDnsServer silent =
        TestDnsServer.builder().fault("backup.test", DnsFault.DROP).start()) {
      DnsMxResolver two =
          DnsMxResolver.builder()
              .server(silent.address())
              .server(dns.address())
              .timeout(Duration.ofMillis(300))
              .retries(0)
              .clock(clock)
              .build();

      assertThat(hosts(two.lookup("backup.test"))).hasSize(2);
      assertThat(silent.queryCount("backup.test", "MX")).isEqualTo(1);
    }
  }
}
