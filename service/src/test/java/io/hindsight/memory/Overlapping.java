package io.hindsight.memory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;

/** Runs the same lookups on several threads at once, for the contracts' overlapping-read tests. */
final class Overlapping {
  private Overlapping() {}

  /**
   * What {@code lookups} returned on each of {@code threads} threads started together, each
   * repeating it {@code rounds} times so that the threads' calls interleave; the last round's.
   */
  static <T> List<List<T>> run(int threads, int rounds, Supplier<List<T>> lookups)
      throws Exception {
    CyclicBarrier start = new CyclicBarrier(threads);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<List<T>>> running = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        running.add(
            pool.submit(
                () -> {
                  start.await();
                  List<T> got = lookups.get();
                  for (int round = 1; round < rounds; round++) {
                    got = lookups.get();
                  }
                  return got;
                }));
      }
      List<List<T>> results = new ArrayList<>();
      for (Future<List<T>> f : running) {
        results.add(f.get());
      }
      return results;
    } finally {
      pool.shutdownNow();
    }
  }
}
