package io.hindsight.compensation;

import io.hindsight.config.HindsightConfig;
import io.hindsight.memory.SketchSettings;

/** The compensation loop's settings, read once from {@link HindsightConfig}. */
public record CompensationSettings(
    long attributionWindowMs,
    long outcomeGraceMs,
    boolean implicitNegatives,
    boolean eagerWrites,
    String memoryKind,
    int arrays,
    int bits,
    long seed,
    double tau,
    double lambda,
    double gamma,
    int minCount,
    double errorThreshold,
    long halfLifeMs,
    int featuresDimension,
    long versionExpiryMs,
    long punctuateIntervalMs) {

  public static CompensationSettings from(HindsightConfig c) {
    return new CompensationSettings(
        c.getLong(HindsightConfig.COMPENSATION_ATTRIBUTION_WINDOW_MS),
        c.getLong(HindsightConfig.COMPENSATION_OUTCOME_GRACE_MS),
        c.getBoolean(HindsightConfig.COMPENSATION_IMPLICIT_NEGATIVES),
        c.getString(HindsightConfig.COMPENSATION_WRITE_MODE).equals("eager"),
        c.getString(HindsightConfig.COMPENSATION_MEMORY_STORE),
        c.getInt(HindsightConfig.COMPENSATION_MEMORY_ARRAYS),
        c.getInt(HindsightConfig.COMPENSATION_MEMORY_BITS),
        c.getLong(HindsightConfig.COMPENSATION_MEMORY_SEED),
        c.getDouble(HindsightConfig.COMPENSATION_TAU),
        c.getDouble(HindsightConfig.COMPENSATION_LAMBDA),
        c.getDouble(HindsightConfig.COMPENSATION_GAMMA),
        c.getInt(HindsightConfig.COMPENSATION_MEMORY_MIN_COUNT),
        c.getDouble(HindsightConfig.COMPENSATION_MEMORY_ERROR_THRESHOLD),
        c.getLong(HindsightConfig.COMPENSATION_MEMORY_HALF_LIFE_MS),
        c.getInt(HindsightConfig.COMPENSATION_FEATURES_DIMENSION),
        c.getLong(HindsightConfig.COMPENSATION_VERSION_EXPIRY_MS),
        c.getLong(HindsightConfig.COMPENSATION_PUNCTUATE_INTERVAL_MS));
  }

  /** The sketch for a model whose keys have {@code dimension} components. */
  public SketchSettings sketch(int dimension) {
    return new SketchSettings(
        arrays, bits, dimension, seed, tau, lambda, gamma, minCount, errorThreshold, halfLifeMs);
  }

  public ErrorMemoryStore newStore() {
    return new ErrorMemoryStore(memoryKind, this::sketch, versionExpiryMs);
  }
}
