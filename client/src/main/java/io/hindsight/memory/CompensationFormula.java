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
      double w = Math.exp((similarity[i] - maxSimilarity) / tau);
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
}
