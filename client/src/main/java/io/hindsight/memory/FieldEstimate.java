package io.hindsight.memory;

/**
 * What a {@link FieldMemory} knows about one value of its field at one event time; immutable.
 *
 * @param estimate the shrunk mean residual {@code Σr / (n + priorCount)}, in probability units (r =
 *     y − y_base); 0 for a value never seen
 * @param evidence n, the (decayed) number of samples behind the estimate; 0 for a value never seen
 */
public record FieldEstimate(double estimate, double evidence) {

  /** The estimate of a value the memory does not hold, or of a prediction without the field. */
  public static final FieldEstimate NONE = new FieldEstimate(0.0, 0.0);

  /** Whether at least some weight of samples stands behind the estimate. */
  public boolean hasEvidence() {
    return evidence > 0;
  }
}
