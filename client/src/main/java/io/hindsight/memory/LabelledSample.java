package io.hindsight.memory;

import java.util.Arrays;

/**
 * A prediction whose outcome is known: the query key, the label, the score the model served and the
 * event time. Immutable: the key is copied on construction; {@link #key()} returns that copy, which
 * callers must not modify.
 *
 * @param key the prediction's embedding or hashed feature vector
 * @param label the observed label y in [0, 1]
 * @param baseScore the model's served probability y_base in [0, 1]
 * @param timestamp event time in epoch milliseconds, >= 0
 */
public record LabelledSample(float[] key, double label, double baseScore, long timestamp) {

  public LabelledSample {
    if (key == null) {
      throw new IllegalArgumentException("LabelledSample.key must not be null");
    }
    if (!(label >= 0 && label <= 1)) {
      throw new IllegalArgumentException("LabelledSample.label must be in [0, 1], was " + label);
    }
    if (!(baseScore >= 0 && baseScore <= 1)) {
      throw new IllegalArgumentException(
          "LabelledSample.baseScore must be in [0, 1], was " + baseScore);
    }
    if (timestamp < 0) {
      throw new IllegalArgumentException("LabelledSample.timestamp must be >= 0, was " + timestamp);
    }
    key = key.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LabelledSample other
        && Arrays.equals(key, other.key)
        && Double.compare(label, other.label) == 0
        && Double.compare(baseScore, other.baseScore) == 0
        && timestamp == other.timestamp;
  }

  @Override
  public int hashCode() {
    int h = Arrays.hashCode(key);
    h = 31 * h + Double.hashCode(label);
    h = 31 * h + Double.hashCode(baseScore);
    return 31 * h + Long.hashCode(timestamp);
  }

  @Override
  public String toString() {
    return "LabelledSample[key="
        + Arrays.toString(key)
        + ", label="
        + label
        + ", baseScore="
        + baseScore
        + ", timestamp="
        + timestamp
        + "]";
  }
}
