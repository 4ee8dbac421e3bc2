package io.hindsight.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
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
    CountDownLatch allQueued = new CountDownLatch(1);
    try (Lane lane = new Lane("test-lane")) {
      // The lane waits until all three are queued: a submit after the failure would rethrow it.
      lane.submit(
          () -> {
            awaitQuietly(allQueued);
            seen.add(1);
          });
      lane.submit(
          () -> {
            throw new IllegalArgumentException("bad record");
          });
      lane.submit(() -> seen.add(3));
      allQueued.countDown();

      assertThatThrownBy(lane::drain).hasMessage("bad record");
      assertThat(seen).containsExactly(1);
      assertThatThrownBy(() -> lane.submit(() -> seen.add(4))).hasMessage("bad record");
    }
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
