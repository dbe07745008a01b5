package dev.mailcore.smtp.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RateLimitTest {

  @Test
  void combinesPerSecondAndPerDay() {
    RateLimit l = RateLimit.perSecond(5).andPerDay(100);
    assertThat(l.secondLimit()).hasValue(5);
    assertThat(l.dayLimit()).hasValue(100);
    assertThat(l.isUnlimited()).isFalse();
    assertThat(RateLimit.unlimited().isUnlimited()).isTrue();
    assertThat(RateLimit.perDay(100).secondLimit()).isEmpty();
  }

  @Test
  void rejectsNonPositiveLimits() {
    assertThatThrownBy(() -> RateLimit.perSecond(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RateLimit.perDay(-1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RateLimit(-1, 0)).isInstanceOf(IllegalArgumentException.class);
  }
}
