package dev.mailcore.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class ManualClockTest {
  private static final Instant START = Instant.parse("2026-03-01T10:00:00Z");

  @Test
  void standsStillUntilMoved() {
    ManualClock clock = new ManualClock(START);
    assertThat(clock.instant()).isEqualTo(START);
    assertThat(clock.millis()).isEqualTo(START.toEpochMilli());
    assertThat(clock.getZone()).isEqualTo(ZoneOffset.UTC);
  }

  @Test
  void defaultsToStartOf2026() {
    assertThat(ManualClock.ofDefaults().instant()).isEqualTo(Instant.parse("2026-01-01T00:00:00Z"));
  }

  @Test
  void advanceMovesForward() {
    ManualClock clock = new ManualClock(START);
    clock.advance(Duration.ofMinutes(90));
    assertThat(clock.instant()).isEqualTo(START.plus(Duration.ofMinutes(90)));
  }

  @Test
  void advanceRefusesToGoBack() {
    ManualClock clock = new ManualClock(START);
    assertThatThrownBy(() -> clock.advance(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(clock.instant()).isEqualTo(START);
  }

  @Test
  void setJumpsToAnInstant() {
    ManualClock clock = new ManualClock(START);
    Instant later = START.plus(Duration.ofDays(3));
    clock.set(later);
    assertThat(clock.instant()).isEqualTo(later);
  }

  @Test
  void zoneViewMovesWithTheClock() {
    ManualClock clock = new ManualClock(START);
    ZoneId lisbon = ZoneId.of("Europe/Lisbon");
    ManualClock view = clock.withZone(lisbon);

    clock.advance(Duration.ofHours(1));

    assertThat(view.getZone()).isEqualTo(lisbon);
    assertThat(view.instant()).isEqualTo(START.plus(Duration.ofHours(1)));
    view.advance(Duration.ofHours(1));
    assertThat(clock.instant()).isEqualTo(START.plus(Duration.ofHours(2)));
  }
}
