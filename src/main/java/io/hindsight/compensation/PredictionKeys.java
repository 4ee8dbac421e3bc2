package io.hindsight.compensation;

import io.hindsight.events.Prediction;
import io.hindsight.memory.FeatureHasher;

/**
 * The error memory's key for a prediction: its embedding, or its features hashed into a vector of
 * the configured dimension. Thread-safe.
 */
public final class PredictionKeys {
  private final FeatureHasher hasher;

  public PredictionKeys(int featuresDimension) {
    this.hasher = new FeatureHasher(featuresDimension);
  }

  public float[] of(Prediction prediction) {
    return prediction.embedding() != null
        ? prediction.embedding()
        : hasher.hash(prediction.features());
  }
}
