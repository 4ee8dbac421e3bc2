package io.hindsight.memory;

/**
 * A memory of a model's recent labelled errors that compensates new predictions (ReLoop2, design.md
 * §2). Implementations have one writer; {@link #read}s may overlap each other (each reading thread
 * has scratch space of its own), never a write or any other call. Wrap with {@link
 * ErrorMemories#synchronizedMemory} to share one between writers.
 *
 * <p>Contract, checked for every implementation by one contract test:
 *
 * <ul>
 *   <li>{@link #read} follows design.md §2 exactly, and passes the base score through with evidence
 *       0 when no bucket (or neighbour) is usable;
 *   <li>the same labelled samples written in any order give the same contents ({@link
 *       #contentHash}, {@link #sameContents}), with the limits stated by each implementation when
 *       decay is on;
 *   <li>a key of the wrong dimension is rejected with {@link IllegalArgumentException}, leaving the
 *       memory unchanged;
 *   <li>{@link #close} is idempotent; any other call after it throws {@link IllegalStateException}.
 * </ul>
 */
public interface ErrorMemory extends AutoCloseable {

  /** The settings this memory was created with. */
  SketchSettings settings();

  /**
   * Adds a labelled sample, unless the error threshold σ is positive and {@code |label − baseScore|
   * <= σ}.
   *
   * @throws IllegalArgumentException if the key has the wrong dimension, a non-finite component or
   *     one beyond ±2^20
   */
  void write(LabelledSample sample);

  /**
   * The compensation of a prediction with key {@code query} and served score {@code baseScore} at
   * event time {@code timestamp} (which only matters with decay).
   *
   * @throws IllegalArgumentException if the query has the wrong dimension or a non-finite
   *     component, or the base score is outside [0, 1]
   */
  Readout read(float[] query, double baseScore, long timestamp);

  /**
   * {@code out[j] = read(queries[j], baseScores[j], timestamps[j])} for every j; a layout may share
   * work between the queries (the sketch hashes them together). Throws as {@link #read} would for
   * the first bad query, before reading any.
   */
  default void readAll(float[][] queries, double[] baseScores, long[] timestamps, Readout[] out) {
    for (int j = 0; j < queries.length; j++) {
      Keys.checkQuery(queries[j], settings().dimension(), baseScores[j]);
    }
    for (int j = 0; j < queries.length; j++) {
      out[j] = read(queries[j], baseScores[j], timestamps[j]);
    }
  }

  /** The number of samples written (after the σ filter) since the memory was created. */
  long samples();

  /** The number of buckets holding weight (for the exact memory: samples held). */
  long bucketsInUse();

  /**
   * A 64-bit hash of the exact contents (every bucket's fixed-point sums), independent of the
   * storage layout: equal contents give equal hashes, so replicas compare cheaply.
   */
  long contentHash();

  /** Whether {@code other} holds exactly the same contents, compared bucket for bucket. */
  boolean sameContents(ErrorMemory other);

  /** What opening found; in-memory implementations are always {@link OpenOutcome#CREATED}. */
  default OpenOutcome openOutcome() {
    return OpenOutcome.CREATED;
  }

  /** Whether the contents do not continue a previous clean close, so samples must be replayed. */
  default boolean needsRebuild() {
    return openOutcome().needsRebuild();
  }

  /** Whether a previous file was found not closed cleanly (and its contents discarded). */
  default boolean wasRecovered() {
    return openOutcome() == OpenOutcome.DISCARDED_UNCLEAN;
  }

  /** Makes the current contents durable where the implementation persists them; else no-op. */
  default void flush() {}

  /** Releases the memory; persisted implementations mark their file clean. Idempotent. */
  @Override
  void close();

  /**
   * Releases the memory without writing anything back, for one about to be deleted: a persisted
   * file is left as a crash would leave it, never restored. Idempotent, and so is a later close.
   */
  default void discard() {
    close();
  }
}
