package io.hindsight.replay;

/**
 * Receives a replay's progress: first while the log is read, validated and sorted, then while
 * events are produced. Calls come from the replaying thread, often (implementations throttle their
 * own output), and end with {@link #finished}.
 */
public interface ReplayProgress {

  /** Ignores everything. */
  ReplayProgress SILENT = new ReplayProgress() {};

  /** While reading: lines read so far, of which accepted and rejected. */
  default void reading(long linesRead, long eventsAccepted, long linesRejected) {}

  /**
   * While producing.
   *
   * @param eventsSent events handed to the sink so far
   * @param eventsTotal events the replay will send
   * @param pacedRemainingNanos wall time the rest takes at the replay's pace, or -1 when the replay
   *     runs as fast as it can (the rate then tells)
   */
  default void producing(long eventsSent, long eventsTotal, long pacedRemainingNanos) {}

  /** The replay is over (completed, cancelled or failed). */
  default void finished() {}
}
