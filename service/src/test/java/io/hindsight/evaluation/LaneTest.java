package io.hindsight.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LaneTest {

  @Test
  void shouldRunTasksOnItsOwnThreadInTheOrderGiven() {
    List<Integer> seen = new ArrayList<>();
    List<String> threads = new ArrayList<>();
    try (Lane lane = new Lane("test-lane")) {
      for (int i = 0; i < 50_000; i++) {
        int n = i;
        lane.submit(
            () -> {
              seen.add(n);
              if (n == 0) {
                threads.add(Thread.currentThread().getName());
              }
            });
      }
      lane.drain();

      assertThat(seen).hasSize(50_000).isSorted();
      assertThat(threads).containsExactly("test-lane");
    }
  }

  @Test
  void shouldSkipLaterTasksAndRethrowAfterATaskFails() {
    List<Integer> seen = new ArrayList<>();
    try (Lane lane = new Lane("test-lane")) {
      lane.submit(() -> seen.add(1));
      lane.submit(
          () -> {
            throw new IllegalArgumentException("bad record");
          });
      lane.submit(() -> seen.add(3));

      assertThatThrownBy(lane::drain).hasMessage("bad record");
      assertThat(seen).containsExactly(1);
    }
  }
}
