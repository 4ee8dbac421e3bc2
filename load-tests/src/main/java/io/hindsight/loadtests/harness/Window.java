package io.hindsight.loadtests.harness;

import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * What one measured interval saw: predictions intended for [{@code fromMicros}, {@code toMicros})
 * and the latency of each, from its intended send time to its compensation's arrival (so a stalled
 * system is charged for every record it delayed: no coordinated omission). The generator counts
 * {@code offered}; the observer alone records into the histogram.
 */
final class Window {
  final long fromMicros;
  final long toMicros;
  final AtomicLong offered = new AtomicLong();
  final AtomicLong received = new AtomicLong();
  final AtomicLong receivedDuring = new AtomicLong();
  private final Histogram latencyMicros = new Histogram(3_600_000_000L, 3);

  Window(long fromMicros, long toMicros) {
    this.fromMicros = fromMicros;
    this.toMicros = toMicros;
  }

  boolean containsIntended(long intendedMicros) {
    return intendedMicros >= fromMicros && intendedMicros < toMicros;
  }

  synchronized void record(long intendedMicros, long receivedMicros) {
    latencyMicros.recordValue(Math.max(0, receivedMicros - intendedMicros));
    received.incrementAndGet();
  }

  /** Any compensation that arrived: the output rate over the window counts them all. */
  void arrived(long receivedMicros) {
    if (receivedMicros >= fromMicros && receivedMicros < toMicros) {
      receivedDuring.incrementAndGet();
    }
  }

  /**
   * Charges predictions that never came out as if they arrived now: a lower bound on their latency,
   * so a loss cannot improve the percentiles.
   */
  synchronized long chargeMissing(long nowMicros) {
    long missing = offered.get() - received.get();
    if (missing > 0) {
      latencyMicros.recordValueWithCount(Math.max(0, nowMicros - toMicros), missing);
    }
    return Math.max(0, missing);
  }

  synchronized Histogram latency() {
    return latencyMicros.copy();
  }

  double seconds() {
    return (toMicros - fromMicros) / 1e6;
  }
}
