package dev.mailcore.smtp.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mailcore.EnhancedStatus;
import dev.mailcore.TlsMode;
import dev.mailcore.smtp.mx.DnsMxResolver;
import dev.mailcore.smtp.mx.StaticRoutes;
import dev.mailcore.smtp.mx.TestDnsServer;
import dev.mailcore.testing.ManualClock;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class RouterTest {
  private static TestDnsServer dns;
  private DnsMxResolver resolver;

  @BeforeAll
  static void startDns() {
    dns =
        TestDnsServer.builder()
            .zone(
                "example.org",
                """
                @      300 IN MX 10 mx1
                @      300 IN MX 20 mx2
                mx1    300 IN A 127.0.0.2
                mx2    300 IN A 127.0.0.3
                relay  300 IN A 127.0.0.9
                """)
            .zone("nullmx.test", "@ 300 IN MX 0 .\n")
            .zone("secure.test", "@ 300 IN MX 10 mx\nmx 300 IN A 127.0.0.4\n")
            .start();
  }

  @AfterAll
  static void stopDns() {
    dns.close();
  }

  @BeforeEach
  void newResolver() {
    dns.resetQueries();
    resolver =
        DnsMxResolver.builder()
            .server(dns.address())
            .timeout(Duration.ofMillis(300))
            .retries(0)
            .clock(ManualClock.ofDefaults())
            .random(new Random(1))
            .build();
  }

  private Router router(StaticRoutes routes) {
    return new Router(
        resolver, routes, 2525, d -> d.equals("secure.test") ? TlsMode.STARTTLS : TlsMode.STARTTLS_IF_OFFERED);
  }

  private static InetAddress ip(String text) {
    try {
      return InetAddress.getByName(text);
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void routesByMxInPreferenceOrderOnTheMxPort() {
    Router.Decision d = router(StaticRoutes.none()).route("example.org");

    assertThat(d)
        .isEqualTo(
            new Router.Destinations(
                List.of(
                    new Destination("mx1.example.org", List.of(ip("127.0.0.2")), 2525, TlsMode.STARTTLS_IF_OFFERED),
                    new Destination("mx2.example.org", List.of(ip("127.0.0.3")), 2525, TlsMode.STARTTLS_IF_OFFERED)),
                false));
  }

  @Test
  void requiresTlsForTheDomainsThatAskForIt() {
    Router.Decision d = router(StaticRoutes.none()).route("secure.test");

    assertThat(((Router.Destinations) d).destinations()).extracting(Destination::tls).containsExactly(TlsMode.STARTTLS);
  }

  @Test
  void letsAStaticRouteOverrideTheMxRecords() {
    StaticRoutes routes = StaticRoutes.builder().hosts("example.org", "relay.example.org", "127.0.0.8").build();

    Router.Decision d = router(routes).route("example.org");

    assertThat(((Router.Destinations) d).destinations())
        .extracting(Destination::host, Destination::addresses, Destination::port)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("relay.example.org", List.of(ip("127.0.0.9")), 2525),
            org.assertj.core.groups.Tuple.tuple("127.0.0.8", List.of(ip("127.0.0.8")), 2525));
    assertThat(((Router.Destinations) d).staticRoute()).isTrue();
    assertThat(dns.queryCount("example.org", "MX")).isZero();
  }

  @Test
  void sendsEverythingElseToTheDefaultRelayOnItsPort() {
    StaticRoutes routes = StaticRoutes.builder().defaultRelay("[127.0.0.10]", 587).build();

    Router.Decision d = router(routes).route("nullmx.test");

    assertThat(((Router.Destinations) d).destinations())
        .containsExactly(new Destination("[127.0.0.10]", List.of(ip("127.0.0.10")), 587, TlsMode.STARTTLS_IF_OFFERED));
    assertThat(dns.queries()).isEmpty();
  }

  @Test
  void failsPermanentlyForANullMx() {
    Router.Decision d = router(StaticRoutes.none()).route("nullmx.test");

    assertThat(d).isInstanceOf(Router.Unroutable.class);
    Router.Unroutable u = (Router.Unroutable) d;
    assertThat(u.temporary()).isFalse();
    assertThat(u.status()).isEqualTo(EnhancedStatus.NULL_MX);
  }

  @Test
  void failsPermanentlyForADomainThatDoesNotExist() {
    Router.Unroutable u = (Router.Unroutable) router(StaticRoutes.none()).route("nothere.example.org");

    assertThat(u.temporary()).isFalse();
    assertThat(u.status()).hasToString("5.1.2");
  }

  @Test
  void defersWhenDnsFails() {
    dns.fault("example.org", dev.mailcore.smtp.mx.DnsFault.SERVFAIL);
    try {
      Router.Unroutable u = (Router.Unroutable) router(StaticRoutes.none()).route("example.org");

      assertThat(u.temporary()).isTrue();
      assertThat(u.status()).hasToString("4.4.3");
      assertThat(u.reason()).contains("SERVFAIL");
    } finally {
      dns.clearFault("example.org");
    }
  }

  @Test
  void defersWhenNoStaticRouteHostResolves() {
    StaticRoutes routes = StaticRoutes.builder().hosts("example.org", "gone.example.org").build();

    Router.Unroutable u = (Router.Unroutable) router(routes).route("example.org");

    assertThat(u.temporary()).isTrue();
    assertThat(u.reason()).contains("gone.example.org");
  }

  @Test
  void deliversToAnAddressLiteralDomainDirectly() {
    Router.Decision d = router(StaticRoutes.none()).route("[127.0.0.5]");

    assertThat(((Router.Destinations) d).destinations())
        .extracting(Destination::addresses)
        .containsExactly(List.of(ip("127.0.0.5")));
    assertThat(dns.queries()).isEmpty();
  }

  @Test
  void parsesIpLiteralsWithoutAskingDns() {
    assertThat(Router.literal("[IPv6:::1]")).contains(ip("::1"));
    assertThat(Router.literal("192.0.2.1")).contains(ip("192.0.2.1"));
    assertThat(Router.literal("999.0.2.1")).isEmpty();
    assertThat(Router.literal("mx.example.org")).isEmpty();
  }
}
