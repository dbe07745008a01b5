package dev.mailcore.smtp.mx;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class DnsCacheTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  void keepsAnAnswerUntilItsTtlRunsOut() {
    DnsCache<String, String> cache = new DnsCache<>(10);
    cache.put("example.org/MX", "answer", T0, Duration.ofSeconds(60));

    assertThat(cache.get("example.org/MX", T0.plusSeconds(59))).contains("answer");
    assertThat(cache.get("example.org/MX", T0.plusSeconds(60))).isEmpty();
  }

  @Test
  void keepsNothingForAZeroTtl() {
    DnsCache<String, String> cache = new DnsCache<>(10);
    cache.put("k", "v", T0, Duration.ZERO);

    assertThat(cache.get("k", T0)).isEmpty();
    assertThat(cache.size()).isZero();
  }

  @Test
  void staysWithinItsSizeDroppingExpiredAnswersFirst() {
    DnsCache<Integer, String> cache = new DnsCache<>(4);
    cache.put(0, "short", T0, Duration.ofSeconds(1));
    for (int i = 1; i <= 3; i++) {
      cache.put(i, "long", T0, Duration.ofHours(1));
    }

    cache.put(4, "new", T0.plusSeconds(5), Duration.ofHours(1));

    assertThat(cache.size()).isLessThanOrEqualTo(4);
    assertThat(cache.get(0, T0.plusSeconds(5))).isEmpty();
    assertThat(cache.get(4, T0.plusSeconds(5))).contains("new");
  }

  @Test
  void forgetsEverythingWhenCleared() {
    DnsCache<String, String> cache = new DnsCache<>(10);
    cache.put("k", "v", T0, Duration.ofHours(1));

    cache.clear();

    assertThat(cache.get("k", T0)).isEmpty();
  }
}
