package io.hindsight.replay;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * What a replay did.
 *
 * @param linesRead non-blank lines of the log (CSV header excluded)
 * @param rejectedLines lines skipped as invalid
 * @param produced events delivered, per type
 * @param spilledRuns sorted runs the sort wrote to disk (0: the log was sorted in memory)
 * @param readNanos time spent reading, validating and sorting
 * @param produceNanos time spent producing, including the final flush
 * @param cancelled whether the replay was stopped before the end of the log
 */
public record ReplaySummary(
    long linesRead,
    long rejectedLines,
    Map<ReplayedType, Long> produced,
    int spilledRuns,
    long readNanos,
    long produceNanos,
    boolean cancelled) {

  public ReplaySummary {
    EnumMap<ReplayedType, Long> copy = new EnumMap<>(ReplayedType.class);
    for (ReplayedType type : ReplayedType.values()) {
      copy.put(type, produced.getOrDefault(type, 0L));
    }
    produced = Collections.unmodifiableMap(copy);
  }

  /** Events delivered, all types. */
  public long producedTotal() {
    return produced.values().stream().mapToLong(Long::longValue).sum();
  }

  /** Delivered events per second of producing; 0 when nothing was produced. */
  public double eventsPerSecond() {
    return produceNanos <= 0 ? 0 : producedTotal() * 1e9 / produceNanos;
  }
}
