package io.hindsight.loadtests.harness;

/**
 * Wall-clock microseconds derived from {@link System#nanoTime()}: monotonic within this JVM, so the
 * generator's intended send times and the observer's receive times are on one clock. Thread-safe.
 */
final class LoadClock {
  private final long baseNanos = System.nanoTime();
  private final long baseEpochMicros = System.currentTimeMillis() * 1000;

  long nanos() {
    return System.nanoTime();
  }

  long epochMicros(long nanos) {
    return baseEpochMicros + (nanos - baseNanos) / 1000;
  }

  long nowMicros() {
    return epochMicros(System.nanoTime());
  }
}
