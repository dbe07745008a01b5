package dev.mailcore.smtp.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

  @Test
  void defaultsFollowTheMtaConvention() {
    RetryPolicy p = RetryPolicy.ofDefaults();
    assertThat(p.delayAfter(1)).isEqualTo(Duration.ofMinutes(5));
    assertThat(p.delayAfter(2)).isEqualTo(Duration.ofMinutes(10));
    assertThat(p.delayAfter(3)).isEqualTo(Duration.ofMinutes(20));
    assertThat(p.delayAfter(4)).isEqualTo(Duration.ofMinutes(40));
    assertThat(p.delayAfter(5)).isEqualTo(Duration.ofHours(1));
    assertThat(p.delayAfter(500)).isEqualTo(Duration.ofHours(1));
    assertThat(p.lifetime()).isEqualTo(Duration.ofDays(5));
  }

  @Test
  void exponentialGrowsByTheFactorUpToTheCap() {
    RetryPolicy p = RetryPolicy.exponential(Duration.ofSeconds(30), 3.0, Duration.ofMinutes(10));
    assertThat(p.delayAfter(1)).isEqualTo(Duration.ofSeconds(30));
    assertThat(p.delayAfter(2)).isEqualTo(Duration.ofSeconds(90));
    assertThat(p.delayAfter(3)).isEqualTo(Duration.ofSeconds(270));
    assertThat(p.delayAfter(4)).isEqualTo(Duration.ofMinutes(10));
  }

  @Test
  void lifetimeReturnsACopy() {
    RetryPolicy p = RetryPolicy.ofDefaults().lifetime(Duration.ofDays(1));
    assertThat(p.lifetime()).isEqualTo(Duration.ofDays(1));
    assertThat(RetryPolicy.ofDefaults().lifetime()).isEqualTo(Duration.ofDays(5));
    assertThat(p).isEqualTo(RetryPolicy.ofDefaults().lifetime(Duration.ofDays(1)));
  }

  @Test
  void rejectsNonsense() {
    assertThatThrownBy(() -> RetryPolicy.exponential(Duration.ZERO, 2, Duration.ofHours(1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> RetryPolicy.exponential(Duration.ofMinutes(1), 0.5, Duration.ofHours(1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> RetryPolicy.exponential(Duration.ofMinutes(10), 2, Duration.ofMinutes(1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RetryPolicy.ofDefaults().lifetime(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RetryPolicy.ofDefaults().delayAfter(0))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
