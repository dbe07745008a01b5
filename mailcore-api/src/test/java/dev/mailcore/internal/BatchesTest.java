package dev.mailcore.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class BatchesTest {

  @Test
  void fixedSizeBatchesLoadOnlyWhenTheConsumerReachesThem() {
    List<String> loads = new ArrayList<>();
    Stream<Integer> s =
        Batches.stream(
            7,
            3,
            (from, to) -> {
              loads.add(from + ":" + to);
              return IntStream.rangeClosed(from, to).boxed().toList();
            });
    assertThat(s.limit(4).toList()).containsExactly(1, 2, 3, 4);
    assertThat(loads).containsExactly("1:3", "4:6");
  }

  @Test
  void plannedBatchesEndWhereThePlannerSays() {
    List<Integer> starts = new ArrayList<>();
    // a planner that takes two messages, then three, as a byte budget might
    Stream<Integer> s =
        Batches.stream(
            5,
            from -> {
              starts.add(from);
              int next = Math.min(6, from + (from == 1 ? 2 : 3));
              return new Batches.Batch<>(IntStream.range(from, next).boxed().toList(), next);
            });
    assertThat(s.toList()).containsExactly(1, 2, 3, 4, 5);
    assertThat(starts).containsExactly(1, 3);
  }

  @Test
  void plannerThatDoesNotAdvanceFailsInsteadOfLoopingForever() {
    Stream<Integer> s = Batches.stream(3, from -> new Batches.Batch<>(List.of(), from));
    assertThatThrownBy(s::toList).isInstanceOf(IllegalStateException.class).hasMessageContaining("advance");
  }
}
