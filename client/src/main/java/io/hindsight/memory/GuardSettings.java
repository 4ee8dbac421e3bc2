package io.hindsight.memory;

/**
 * Immutable settings of a {@link CompensationGuard}.
 *
 * @param halfLifeMs event-time half-life of an observation's weight; 0 keeps every observation at
 *     full weight (the guard then compares all-time averages and reacts ever more slowly)
 * @param minWeight the decayed number of observations below which the guard trusts the blend fully
 *     (too little evidence to judge it)
 * @param tolerance the relative logloss excess over the base at which trust reaches 0: trust is
 *     {@code clamp(1 − excess / tolerance, 0, 1)}
 */
public record GuardSettings(long halfLifeMs, double minWeight, double tolerance) {

  public GuardSettings {
    if (halfLifeMs < 0 || halfLifeMs > Long.MAX_VALUE / FixedPoint.EPOCH_HALF_LIVES) {
      throw invalid(
          "halfLifeMs", "in [0, " + Long.MAX_VALUE / FixedPoint.EPOCH_HALF_LIVES + "]", halfLifeMs);
    }
    if (!(minWeight >= 0) || !Double.isFinite(minWeight)) {
      throw invalid("minWeight", "finite and >= 0", minWeight);
    }
    if (!(tolerance > 0) || !Double.isFinite(tolerance)) {
      throw invalid("tolerance", "finite and > 0", tolerance);
    }
  }

  /** A one-hour half-life, 200 observations before judging, full fallback at 1 % worse. */
  public static GuardSettings defaults() {
    return new GuardSettings(3_600_000L, 200.0, 0.01);
  }

  private static IllegalArgumentException invalid(String field, String expected, Object actual) {
    return new IllegalArgumentException(
        "GuardSettings." + field + " must be " + expected + ", was " + actual);
  }
}
