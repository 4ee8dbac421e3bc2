package io.hindsight.memory;

/**
 * Immutable settings of a {@link LearnedBlend}'s online learner, FTRL-proximal (McMahan et al., KDD
 * 2013) with per-coordinate learning rates, regularised towards the paper's formula.
 *
 * @param learningRate α: the per-coordinate step is α / (β + √Σg²)
 * @param beta β: damps the first steps of a coordinate
 * @param l1 L1 strength on the deviation from the initial weights: a deviation stays exactly 0
 *     until its accumulated gradient exceeds it
 * @param l2 L2 strength on the deviation from the initial weights
 */
public record BlendSettings(double learningRate, double beta, double l1, double l2) {

  public BlendSettings {
    if (!(learningRate > 0) || !Double.isFinite(learningRate)) {
      throw invalid("learningRate", "finite and > 0", learningRate);
    }
    if (!(beta >= 0) || !Double.isFinite(beta)) {
      throw invalid("beta", "finite and >= 0", beta);
    }
    if (!(l1 >= 0) || !Double.isFinite(l1)) {
      throw invalid("l1", "finite and >= 0", l1);
    }
    if (!(l2 >= 0) || !Double.isFinite(l2)) {
      throw invalid("l2", "finite and >= 0", l2);
    }
  }

  /**
   * α = 0.02, β = 1, no L1, L2 = 1: chosen on the synthetic streams of the tests, not on real data.
   * A larger α adapts faster but leaves replicas that saw the samples in different orders further
   * apart (α = 0.05 doubled the gap between their predictions in {@code LearnedBlendTest}).
   */
  public static BlendSettings defaults() {
    return new BlendSettings(0.02, 1.0, 0.0, 1.0);
  }

  private static IllegalArgumentException invalid(String field, String expected, Object actual) {
    return new IllegalArgumentException(
        "BlendSettings." + field + " must be " + expected + ", was " + actual);
  }
}
