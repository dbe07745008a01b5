package dev.mailcore.smtp.mx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class StaticRoutesTest {

  @Test
  void findsTheRouteOfADomainIgnoringCase() {
    StaticRoutes routes = StaticRoutes.builder().hosts("Corp.Example", "a.internal", "b.internal").build();

    assertThat(routes.route("corp.EXAMPLE"))
        .contains(new StaticRoutes.Route(List.of("a.internal", "b.internal"), OptionalInt.empty()));
    assertThat(routes.route("other.example")).isEmpty();
  }

  @Test
  void matchesSubdomainsWithALeadingDot() {
    StaticRoutes routes =
        StaticRoutes.builder().relay(".corp.example", "gw.corp.example", 2525).hosts("x.corp.example", "x-mx").build();

    assertThat(routes.route("eu.sales.corp.example")).map(r -> r.hosts().get(0)).contains("gw.corp.example");
    assertThat(routes.route("x.corp.example")).map(r -> r.hosts().get(0)).contains("x-mx");
    assertThat(routes.route("corp.example")).isEmpty();
  }

  @Test
  void fallsBackToTheDefaultRelay() {
    StaticRoutes routes =
        StaticRoutes.builder().hosts("corp.example", "mx.corp").defaultRelay("smtp.isp.example", 587).build();

    assertThat(routes.route("anywhere.example"))
        .contains(new StaticRoutes.Route(List.of("smtp.isp.example"), OptionalInt.of(587)));
    assertThat(routes.route("corp.example")).map(StaticRoutes.Route::hosts).contains(List.of("mx.corp"));
  }

  @Test
  void keysIdnDomainsInAsciiForm() {
    StaticRoutes routes = StaticRoutes.builder().hosts("bücher.example", "mx.books").build();

    assertThat(routes.route("xn--bcher-kva.example")).isPresent();
  }

  @Test
  void isEmptyByDefault() {
    assertThat(StaticRoutes.none().isEmpty()).isTrue();
    assertThat(StaticRoutes.none().route("example.org")).isEmpty();
  }

  @Test
  void copiesIntoABuilder() {
    StaticRoutes routes = StaticRoutes.builder().hosts("a.example", "h").build();

    StaticRoutes more = routes.toBuilder().defaultRelay("relay", 25).build();

    assertThat(more.route("a.example")).isEqualTo(routes.route("a.example"));
    assertThat(routes.defaultRoute()).isEmpty();
    assertThat(more.defaultRoute()).isPresent();
  }

  @Test
  void rejectsAPortOutOfRange() {
    assertThatThrownBy(() -> StaticRoutes.builder().relay("a.example", "h", 70000))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("70000");
  }

  @Test
  void rejectsAHostWithWhitespaceNamingItsPosition() {
    assertThatThrownBy(() -> StaticRoutes.builder().hosts("a.example", "ok", "bad host"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("host 1");
  }

  @Test
  void rejectsARouteWithoutHosts() {
    assertThatThrownBy(() -> StaticRoutes.builder().hosts("a.example")).isInstanceOf(IllegalArgumentException.class);
  }
}
