package io.hindsight.compensation;

import io.hindsight.config.HindsightConfig;
import java.util.HashMap;
import java.util.Map;

/** Small replica settings and samples for tests that drive an {@link ErrorMemoryStore} directly. */
final class ReplicaFixtures {

  private ReplicaFixtures() {}

  /**
   * A sketch of 8 × 2^4 buckets and field memories of 10,000 values, in the {@code kind} layout.
   */
  static CompensationSettings smallSettings(String kind, Map<String, String> overrides) {
    Map<String, String> values = new HashMap<>();
    values.put(HindsightConfig.BOOTSTRAP_SERVERS, "unused:9092");
    values.put(HindsightConfig.COMPENSATION_MEMORY_STORE, kind);
    values.put(HindsightConfig.COMPENSATION_MEMORY_ARRAYS, "8");
    values.put(HindsightConfig.COMPENSATION_MEMORY_BITS, "4");
    values.put(HindsightConfig.COMPENSATION_FIELD_MAX_VALUES, "10000");
    values.putAll(overrides);
    return CompensationSettings.from(HindsightConfig.load(null, Map.of(), values));
  }

  /**
   * A sample of a 4-dimensional key that varies with {@code time}; labelled unless label is NaN.
   */
  static Sample sample(String model, String version, String requestId, long time, double label) {
    return new Sample(
        model,
        version,
        requestId,
        time,
        0.5,
        label,
        new float[] {1, (float) Math.sin(time), 0, 0},
        Map.of(),
        null,
        !Double.isNaN(label));
  }
}
