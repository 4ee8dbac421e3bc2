package io.hindsight.memory;

/** The read formula of design.md §2, shared by the sketches and the exact oracle. */
final class CompensationFormula {

  private CompensationFormula() {}

  /**
   * Combines {@code used} pseudo-neighbours (similarity s_k, label mean ȳ_k, base mean ȳbase_k)
   * with attention softmax(s/τ) into a readout for base score {@code baseScore}.
   */
  static Readout combine(
      SketchSettings settings,
      double baseScore,
      int used,
      double[] similarity,
      double[] labelMean,
      double[] baseMean) {
    if (used == 0) {
      return Readout.passThrough(baseScore);
    }
    double maxSimilarity = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < used; i++) {
      maxSimilarity = Math.max(maxSimilarity, similarity[i]);
    }
    double tau = settings.tau();
    double weights = 0;
    double label = 0;
    double base = 0;
    for (int i = 0; i < used; i++) {
      // Shifting by the maximum leaves the softmax unchanged and keeps exp() from overflowing.
      double w = expNonPositive((similarity[i] - maxSimilarity) / tau);
      weights += w;
      label += w * labelMean[i];
      base += w * baseMean[i];
    }
    label /= weights;
    base /= weights;
    double gamma = settings.gamma();
    double error = gamma * (label - baseScore) + (1 - gamma) * (label - base);
    double compensated = baseScore + settings.lambda() * error;
    return new Readout(Math.min(1.0, Math.max(0.0, compensated)), error, label, base, used);
  }

  private static final double LOG2_E = 1.4426950408889634;
  // fdlibm's split of ln 2: LN2_HIGH has 32 significant bits, so k·LN2_HIGH is exact.
  private static final double LN2_HIGH = 6.93147180369123816490e-01;
  private static final double LN2_LOW = 1.90821492927058770002e-10;

  /**
   * e^x for x ≤ 0 (a softmax weight after the shift by the maximum), to a few ulp: x = k·ln 2 + r
   * with |r| ≤ ln 2 / 2, then e^r by its Taylor series to degree 13 (remainder below 2^-53) and a
   * power of two. Only +, × and fused multiply-add, which Java specifies exactly, so every JVM
   * gives the same bits (Math.exp may differ by an ulp between JVMs): the client's scores equal the
   * service's wherever each runs.
   */
  static double expNonPositive(double x) {
    if (!(x > -708)) {
      // Below e^-708 (< 2^-1021) a weight is negligible next to the maximum's 1; NaN stays NaN.
      return x <= -708 ? 0 : x;
    }
    double k = Math.rint(x * LOG2_E);
    double r = Math.fma(-k, LN2_LOW, Math.fma(-k, LN2_HIGH, x));
    double p = 1.0 / 6227020800.0; // 1/13!
    p = Math.fma(p, r, 1.0 / 479001600.0);
    p = Math.fma(p, r, 1.0 / 39916800.0);
    p = Math.fma(p, r, 1.0 / 3628800.0);
    p = Math.fma(p, r, 1.0 / 362880.0);
    p = Math.fma(p, r, 1.0 / 40320.0);
    p = Math.fma(p, r, 1.0 / 5040.0);
    p = Math.fma(p, r, 1.0 / 720.0);
    p = Math.fma(p, r, 1.0 / 120.0);
    p = Math.fma(p, r, 1.0 / 24.0);
    p = Math.fma(p, r, 1.0 / 6.0);
    p = Math.fma(p, r, 0.5);
    p = Math.fma(p, r, 1.0);
    p = Math.fma(p, r, 1.0);
    // 2^k as a double's exponent field: k ≥ -1022 here, so it is a normal number.
    return p * Double.longBitsToDouble((long) (k + 1023) << 52);
  }
}
