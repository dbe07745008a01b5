package dev.mailcore.smtp.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class QueueIdTest {

  @Test
  void newIdsAreUniqueAndSortByTime() {
    Set<QueueId> ids = new HashSet<>();
    Instant t = Instant.parse("2026-01-01T00:00:00Z");
    for (int i = 0; i < 10_000; i++) {
      ids.add(QueueId.next(t));
    }
    assertThat(ids).hasSize(10_000);
    assertThat(QueueId.next(t).value()).isLessThan(QueueId.next(t.plusMillis(1)).value());
    assertThat(QueueId.parse(QueueId.next(t).value()).value())
        .matches("[0-9a-f]{11}-[0-9a-f]{8}-[0-9a-f]{8}");
  }

  @Test
  void rejectsCharactersUnsafeInFileNames() {
    assertThatThrownBy(() -> QueueId.parse("../etc"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("index 0");
    assertThatThrownBy(() -> QueueId.parse("")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> QueueId.parse("x".repeat(65)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
