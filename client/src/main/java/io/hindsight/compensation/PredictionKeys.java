package io.hindsight.compensation;

import io.hindsight.events.Prediction;
import io.hindsight.memory.FeatureHasher;
import io.hindsight.memory.FieldMemory;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The error memory's key for a prediction: its embedding, or its features hashed into a vector of
 * the configured dimension; and its declared fields' values. Thread-safe.
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

  /**
   * The prediction's value of each declared field: {@code userId} and {@code itemId} are the
   * prediction's own, any other name a key of its {@code features} (a number as JSON wrote it).
   * Missing, empty and over-long values ({@link FieldMemory#MAX_VALUE_LENGTH}) are left out.
   */
  public static Map<String, String> fieldValues(Prediction prediction, List<String> fields) {
    Map<String, String> values = new TreeMap<>();
    for (String field : fields) {
      String value =
          switch (field) {
            case "userId" -> prediction.userId();
            case "itemId" -> prediction.itemId();
            default -> {
              Object feature =
                  prediction.features() == null ? null : prediction.features().get(field);
              yield feature == null ? null : feature.toString();
            }
          };
      if (value != null && !value.isEmpty() && value.length() <= FieldMemory.MAX_VALUE_LENGTH) {
        values.put(field, value);
      }
    }
    return values;
  }
}
