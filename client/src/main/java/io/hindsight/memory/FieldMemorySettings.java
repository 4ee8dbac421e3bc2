package io.hindsight.memory;

/**
 * Immutable settings of one {@link FieldMemory}: which declared field it remembers, how strongly a
 * value's mean residual is shrunk towards zero, how fast it forgets and how many values it keeps.
 *
 * <p>Only {@link #sameContentLayout the content-defining fields} decide whether a stored memory can
 * be reused: the prior count only affects reads and can be retuned without a rebuild.
 *
 * @param field the declared field, e.g. {@code userId}, {@code itemId} or a {@code features} key;
 *     named in every validation message and kept in persisted files
 * @param priorCount pseudo-count of zero residuals added to every value on read: the estimate is
 *     {@code Σr / (n + priorCount)}, so a value seen once says little
 * @param halfLifeMs event-time half-life of a sample's weight; 0 disables decay
 * @param maxValues the most values kept; the least recently used are evicted beyond it
 */
public record FieldMemorySettings(String field, double priorCount, long halfLifeMs, int maxValues) {

  /** Longest field name accepted, so a persisted header always has room for it. */
  public static final int MAX_FIELD_LENGTH = 200;

  /**
   * Largest {@link #maxValues} accepted (2^28): beyond it a per-field exact memory is the wrong
   * tool.
   */
  public static final int MAX_VALUES = 1 << 28;

  public FieldMemorySettings {
    if (field == null || field.isBlank() || field.length() > MAX_FIELD_LENGTH) {
      throw new IllegalArgumentException(
          "FieldMemorySettings.field must be a non-blank name of at most "
              + MAX_FIELD_LENGTH
              + " characters, was "
              + (field == null ? "null" : "'" + field + "'"));
    }
    if (!(priorCount >= 0) || !Double.isFinite(priorCount)) {
      throw invalid(field, "priorCount", "finite and >= 0", priorCount);
    }
    if (halfLifeMs < 0 || halfLifeMs > Long.MAX_VALUE / FixedPoint.EPOCH_HALF_LIVES) {
      throw invalid(
          field,
          "halfLifeMs",
          "in [0, " + Long.MAX_VALUE / FixedPoint.EPOCH_HALF_LIVES + "]",
          halfLifeMs);
    }
    if (maxValues < 1 || maxValues > MAX_VALUES) {
      throw invalid(field, "maxValues", "in [1, " + MAX_VALUES + "]", maxValues);
    }
  }

  /**
   * Defaults for {@code field}: a prior of 10 samples (a value seen 10 times has its mean residual
   * halved), no decay, at most 1,000,000 values.
   */
  public static FieldMemorySettings defaults(String field) {
    return new FieldMemorySettings(field, 10.0, 0L, 1_000_000);
  }

  /** Whether decay is enabled ({@code halfLifeMs > 0}). */
  public boolean decays() {
    return halfLifeMs > 0;
  }

  /**
   * Whether a memory written under {@code other} holds exactly what one written under these
   * settings would: same field, half-life and bound. The prior count only affects reads.
   */
  public boolean sameContentLayout(FieldMemorySettings other) {
    return field.equals(other.field)
        && halfLifeMs == other.halfLifeMs
        && maxValues == other.maxValues;
  }

  public FieldMemorySettings withPriorCount(double value) {
    return new FieldMemorySettings(field, value, halfLifeMs, maxValues);
  }

  public FieldMemorySettings withHalfLifeMs(long value) {
    return new FieldMemorySettings(field, priorCount, value, maxValues);
  }

  public FieldMemorySettings withMaxValues(int value) {
    return new FieldMemorySettings(field, priorCount, halfLifeMs, value);
  }

  private static IllegalArgumentException invalid(
      String field, String component, String expected, Object actual) {
    return new IllegalArgumentException(
        "FieldMemorySettings."
            + component
            + " of field '"
            + field
            + "' must be "
            + expected
            + ", was "
            + actual);
  }
}
