package io.hindsight.memory;

/**
 * The result of reading the error memory for one prediction (design.md §2).
 *
 * <p>With no usable bucket ({@code evidence == 0}) the score passes through: both means equal the
 * base score and the error estimate is 0, so no derived quantity is NaN.
 *
 * @param compensatedScore clamp(y_base + λ·y_err, 0, 1)
 * @param errorEstimate y_err = γ(ȳ − y_base) + (1 − γ)(ȳ − ȳ_base)
 * @param meanLabel ȳ, the attention-weighted mean label of the neighbours
 * @param meanBase ȳ_base, the attention-weighted mean base score of the neighbours
 * @param evidence how many buckets (or exact neighbours) contributed
 */
public record Readout(
    double compensatedScore,
    double errorEstimate,
    double meanLabel,
    double meanBase,
    int evidence) {

  /** The readout of a memory with nothing to say about this query. */
  public static Readout passThrough(double baseScore) {
    return new Readout(baseScore, 0.0, baseScore, baseScore, 0);
  }

  /** Whether at least one bucket or neighbour contributed. */
  public boolean hasEvidence() {
    return evidence > 0;
  }
}
