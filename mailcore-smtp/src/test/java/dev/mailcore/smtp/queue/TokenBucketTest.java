package dev.mailcore.smtp.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class TokenBucketTest {

  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  void allowsTheLimitAtOnceThenRefillsEvenly() {
    TokenBucket b = new TokenBucket(RateLimit.perSecond(4), T0);
    for (int i = 0; i < 4; i++) {
      assertThat(b.blockedUntil(T0)).isEmpty();
      b.take();
    }
    assertThat(b.blockedUntil(T0)).contains(T0.plusMillis(250));
    assertThat(b.blockedUntil(T0.plusMillis(250))).isEmpty();
  }

  @Test
  void theStricterPeriodDecides() {
    TokenBucket b = new TokenBucket(RateLimit.perSecond(10).andPerDay(2), T0);
    b.take();
    b.take();
    assertThat(b.blockedUntil(T0.plusSeconds(5))).contains(T0.plus(Duration.ofHours(12)));
  }
}
