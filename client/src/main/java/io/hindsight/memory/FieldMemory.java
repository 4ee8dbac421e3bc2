package io.hindsight.memory;

/**
 * An exact keyed error memory for one declared field of one model version (design.md §2, "Field
 * memories and a learned blend"): per value, a count n and a sum of residuals r = y − y_base.
 * Implementations have one writer: writes and {@link #estimate}s (which record recency for
 * eviction) come from one thread at a time; {@link #peek}s may overlap each other, never those.
 *
 * <p>Contract, checked for every implementation by one contract test:
 *
 * <ul>
 *   <li>{@link #estimate} is {@code Σr / (n + priorCount)} with evidence n, both decayed to the
 *       read time; a value never seen (or evicted) gives {@link FieldEstimate#NONE}.
 *   <li><b>Order independence under the bound.</b> While no value has been evicted ({@link
 *       #evictions} is 0), the contents (every value's fixed-point n, Σr and decay epoch) are a
 *       function of the multiset of writes alone: neither the order of the writes nor any reads
 *       change them. With decay this is bit-exact when each value's samples arrive in
 *       non-decreasing decay epoch (epochs are 8 half-lives long); otherwise a field can differ by
 *       one unit of 2^-20 per out-of-epoch sample (the limit {@link SketchMemory} states).
 *   <li><b>Beyond the bound, order matters.</b> Writing a new value into a full memory first evicts
 *       the {@link #evictionBatch least recently used values} (a use is a write or an {@link
 *       #estimate}; {@link #peek} is not a use). Which values are retained then depends on the
 *       interleaving of writes and reads, so replicas that read different predictions, or apply
 *       samples in different orders, may retain different values. A retained value holds exactly
 *       the samples written since it was last inserted: an evicted value returns with no history.
 *   <li>The memory never holds more than {@code maxValues} values; {@link #evictions} counts every
 *       eviction.
 *   <li>{@link #close} is idempotent; any other call after it throws {@link IllegalStateException}.
 * </ul>
 *
 * <p>A missing value ({@code null} or empty: the prediction has no such field) is never stored:
 * {@link #write} ignores it and {@link #estimate} returns {@link FieldEstimate#NONE}.
 */
public interface FieldMemory extends AutoCloseable {

  /** Longest value accepted, in UTF-16 chars: ids, not documents. */
  int MAX_VALUE_LENGTH = 256;

  /** The settings this memory was created with. */
  FieldMemorySettings settings();

  /**
   * Adds the residual {@code label − baseScore} of one labelled sample to {@code value}; evicts the
   * least recently used values first if {@code value} is new and the memory is full.
   *
   * @return false if {@code value} is missing (null or empty) and nothing was written
   * @throws IllegalArgumentException if the value is longer than {@value #MAX_VALUE_LENGTH}, a
   *     score is outside [0, 1] or the timestamp is negative; the memory is unchanged
   * @throws ArithmeticException if the value's sums would overflow; the memory is unchanged
   */
  boolean write(String value, double label, double baseScore, long timestamp);

  /**
   * Adds one sample in logit units (an entity memory): weight {@code q(1 − q)} and residual {@code
   * label − q} for base score q, so that {@link #estimate} is {@code Σ(y − q) / (Σq(1 − q) +
   * prior)}, one Newton step of a per-value logit offset from the base model, ridge-regularised by
   * the prior. Same bounds, eviction and order independence as {@link #write}; a memory takes one
   * kind of write only.
   *
   * @return false if {@code value} is missing and nothing was written
   */
  boolean writeLogit(String value, double label, double baseScore, long timestamp);

  /** The estimate for {@code value} at event time {@code timestamp}; counts as a use of it. */
  FieldEstimate estimate(String value, long timestamp);

  /** {@link #estimate} without counting as a use: for reports and tests. */
  FieldEstimate peek(String value, long timestamp);

  /** The number of values held, at most {@code maxValues}. */
  long size();

  /** The number of samples written since the memory was created (missing values excluded). */
  long samples();

  /** The number of values evicted since the memory was created. */
  long evictions();

  /**
   * A 64-bit hash of the exact contents (every value with its fixed-point n, Σr and epoch, not its
   * recency), independent of the storage layout: equal contents give equal hashes.
   */
  long contentHash();

  /** Whether {@code other} holds exactly the same values with the same contents. */
  boolean sameContents(FieldMemory other);

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

  /**
   * How many values a full memory of {@code maxValues} evicts at once: one sixteenth (at least
   * one), so a file-backed memory scans for its oldest values once per that many new values.
   */
  static int evictionBatch(int maxValues) {
    return Math.max(1, maxValues / 16);
  }
}
