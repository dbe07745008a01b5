package dev.mailcore.imap.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mailcore.internal.StoreSettings;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ImapConfigTest {

  private static ImapConfig config(Duration readTimeout, Duration rearm) {
    StoreSettings s = new StoreSettings();
    s.readTimeout(readTimeout);
    return new ImapConfig(s, 100, 0, true, rearm, Duration.ofMinutes(1), Duration.ofSeconds(1), Duration.ofMinutes(5),
        1000, 8 << 20, java.time.Clock.systemUTC(), null);
  }

  @Test
  void keepAliveFiresTwicePerReadTimeoutSoAQuietServerIsNotTakenForDead() {
    assertThat(config(Duration.ofSeconds(60), Duration.ofMinutes(25)).keepAlive())
        .isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void keepAliveReArmsIdleBeforeTheTwentyNineMinuteLimit() {
    assertThat(config(Duration.ofHours(2), Duration.ofMinutes(25)).keepAlive())
        .isEqualTo(Duration.ofMinutes(25));
  }
}
