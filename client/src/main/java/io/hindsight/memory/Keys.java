package io.hindsight.memory;

/** Argument checks shared by every memory, so all implementations reject the same inputs. */
final class Keys {

  private Keys() {}

  static void checkWritable(float[] key, int dimension) {
    checkDimension(key, dimension);
    for (int i = 0; i < key.length; i++) {
      if (!(Math.abs(key[i]) <= FixedPoint.MAX_KEY_COMPONENT)) {
        throw new IllegalArgumentException(
            "key component "
                + i
                + " = "
                + key[i]
                + " is not finite or exceeds ±"
                + FixedPoint.MAX_KEY_COMPONENT);
      }
    }
  }

  /** Checks a query and returns its Euclidean norm. */
  static double checkQuery(float[] query, int dimension, double baseScore) {
    checkDimension(query, dimension);
    if (!(baseScore >= 0 && baseScore <= 1)) {
      throw new IllegalArgumentException("baseScore must be in [0, 1], was " + baseScore);
    }
    double norm2 = 0;
    for (float x : query) {
      norm2 += (double) x * x;
    }
    // A NaN or infinite component makes the sum non-finite: one test covers every component.
    if (!Double.isFinite(norm2)) {
      throw new IllegalArgumentException("query has a non-finite component");
    }
    return Math.sqrt(norm2);
  }

  static void checkDimension(float[] key, int dimension) {
    if (key == null) {
      throw new IllegalArgumentException("key must not be null");
    }
    if (key.length != dimension) {
      throw new IllegalArgumentException(
          "key dimension " + key.length + " differs from the memory's " + dimension);
    }
  }

  /** Whether an error passes the σ filter of the settings. */
  static boolean passesThreshold(SketchSettings settings, double label, double baseScore) {
    double sigma = settings.errorThreshold();
    return sigma == 0 || Math.abs(label - baseScore) > sigma;
  }
}
