package io.hindsight.replay;

import java.util.Locale;

/**
 * How fast a replay goes: {@link #MAX} sends as fast as the producer accepts, {@link #times(double)
 * times(N)} keeps the log's own pace, every event-time gap divided by N.
 */
public record ReplaySpeed(double factor) {

  /** As fast as possible. */
  public static final ReplaySpeed MAX = new ReplaySpeed(Double.POSITIVE_INFINITY);

  public ReplaySpeed {
    if (!(factor > 0)) {
      throw new IllegalArgumentException("speed must be positive, not " + factor);
    }
  }

  /** N times the log's own pace; 1 is real time. */
  public static ReplaySpeed times(double factor) {
    if (!Double.isFinite(factor)) {
      throw new IllegalArgumentException("speed must be finite, not " + factor);
    }
    return new ReplaySpeed(factor);
  }

  /**
   * Parses {@code max} or a positive number (a trailing {@code x} is allowed: {@code 10x}).
   *
   * @throws IllegalArgumentException naming the accepted forms
   */
  public static ReplaySpeed parse(String text) {
    String trimmed = text.strip().toLowerCase(Locale.ROOT);
    if (trimmed.equals("max")) {
      return MAX;
    }
    if (trimmed.endsWith("x")) {
      trimmed = trimmed.substring(0, trimmed.length() - 1);
    }
    try {
      double factor = Double.parseDouble(trimmed);
      if (factor > 0 && Double.isFinite(factor)) {
        return times(factor);
      }
    } catch (NumberFormatException e) {
      // reported below with the accepted forms
    }
    throw new IllegalArgumentException(
        "speed must be 'max' or a positive number (e.g. 1 for real time, 60 for 60x): " + text);
  }

  public boolean isMax() {
    return Double.isInfinite(factor);
  }

  /**
   * Wall-clock nanoseconds after the replay's start at which an event is due: its event-time
   * distance from the first event divided by the speed; 0 at {@link #MAX}. Saturates at {@link
   * Long#MAX_VALUE}.
   */
  public long dueOffsetNanos(long firstEventMillis, long eventMillis) {
    if (isMax() || eventMillis <= firstEventMillis) {
      return 0;
    }
    double nanos = (double) (eventMillis - firstEventMillis) * 1e6 / factor;
    return nanos >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) nanos;
  }

  @Override
  public String toString() {
    if (isMax()) {
      return "max";
    }
    return factor == Math.rint(factor) && factor < 1e15
        ? (long) factor + "x"
        : String.format(Locale.ROOT, "%sx", factor);
  }
}
