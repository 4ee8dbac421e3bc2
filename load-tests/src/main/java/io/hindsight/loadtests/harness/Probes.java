package io.hindsight.loadtests.harness;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.HdrHistogram.Histogram;

/**
 * Compensation freshness probes: how long after an outcome's attribution window closes the first
 * compensation that uses it comes out. Each probe writes one labelled sample with a fresh random
 * embedding into the memory of a model only probes use; a query with the same embedding lands in
 * the sample's K buckets, so its {@code evidence} jumps from the few buckets earlier probes happen
 * to share to (nearly) K once the sample is in the memory. Freshness = arrival of the first such
 * compensation − the window's close (event time = wall time here); queries go out every 20 ms from
 * the close, so the figure is at most 20 ms late. Thread-safe.
 */
final class Probes {
  private final Map<Integer, Probe> byNumber = new ConcurrentHashMap<>();
  private final AtomicInteger next = new AtomicInteger();
  private final Histogram freshnessMicros = new Histogram(3_600_000_000L, 3);
  private final int arrays;
  private volatile long measureFromMicros = Long.MAX_VALUE;

  Probes(int arrays) {
    this.arrays = arrays;
  }

  Probe start(long closeEpochMs) {
    Probe probe = new Probe(next.getAndIncrement(), closeEpochMs);
    byNumber.put(probe.number, probe);
    return probe;
  }

  /** Only probes whose windows close after this count (the warm-up's are left out). */
  void measureFrom(long epochMicros) {
    measureFromMicros = epochMicros;
  }

  /** A compensation for a probe key {@code probe-<n>-<role>} arrived. */
  void answer(String key, int evidence, long receivedMicros) {
    int dash = key.indexOf('-', 6);
    Probe probe = byNumber.get(Integer.parseInt(key.substring(6, dash)));
    if (probe == null) {
      return;
    }
    char role = key.charAt(dash + 1);
    if (role == 'b') {
      probe.baseline = evidence;
    } else if (role == 'q' && !probe.answered && evidence >= probe.threshold(arrays)) {
      probe.answered = true;
      if (probe.closeEpochMs * 1000 >= measureFromMicros) {
        synchronized (freshnessMicros) {
          freshnessMicros.recordValue(Math.max(0, receivedMicros - probe.closeEpochMs * 1000));
        }
      }
    }
  }

  Histogram freshness() {
    synchronized (freshnessMicros) {
      return freshnessMicros.copy();
    }
  }

  int started() {
    return next.get();
  }

  long answered() {
    return byNumber.values().stream().filter(Probe::answered).count();
  }

  /** One probe; {@code answered} once a compensation has shown its sample. */
  static final class Probe {
    private final int number;
    private final long closeEpochMs;
    private volatile int baseline;
    private volatile boolean answered;

    Probe(int number, long closeEpochMs) {
      this.number = number;
      this.closeEpochMs = closeEpochMs;
    }

    int number() {
      return number;
    }

    boolean answered() {
      return answered;
    }

    /** Half-way from the baseline (buckets shared with earlier probes) to all K arrays. */
    int threshold(int arrays) {
      return baseline + Math.max(1, (arrays - baseline + 1) / 2);
    }
  }
}
