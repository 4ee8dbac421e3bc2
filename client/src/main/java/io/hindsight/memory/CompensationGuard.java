package io.hindsight.memory;

import java.util.Arrays;

/**
 * Keeps one model's compensation honest: compares the recent logloss of the compensated scores with
 * the base model's over the same labelled samples, and turns the comparison into a trust weight w
 * in [0, 1] for {@code final = base + w·(compensated − base)}; single-threaded.
 *
 * <p><b>Trust.</b> With decayed sums L_base and L_comp over the observations, the relative excess
 * is {@code (L_comp − L_base) / L_base} and {@code w = clamp(1 − excess / tolerance, 0, 1)}: 1
 * while the compensation is no worse than the base, 0 once it is {@code tolerance} worse. Below
 * {@code minWeight} observations the guard has no opinion and w is 1. Logloss is convex in the
 * probability, so the final score's loss is at most {@code w·L_comp + (1 − w)·L_base}. The guard
 * must observe the unguarded score, or it could never see the compensation recover.
 *
 * <p><b>Order independence.</b> Sums are kept in the fixed point of {@link FixedPoint} with the
 * same event-time epochs as the memories, and trust is evaluated at the newest observed event time,
 * so the state is a function of the set of observations, not their order (bit-exact within a decay
 * epoch, within rounding across epochs). What the observations contain may still depend on order:
 * see {@link FieldCompensator#learn}.
 *
 * <p><b>Overflow.</b> Losses are clipped at {@code −ln(1e-7)} ≈ 16.1, so a sum overflows after
 * about 2·10^9 observations within one epoch of 8 half-lives (5·10^11 without decay); {@link
 * #observe} then throws {@link ArithmeticException} and changes nothing.
 */
public final class CompensationGuard {

  /** Probabilities are clipped to [ε, 1 − ε] before a logloss, as in evaluation. */
  public static final double LOGLOSS_EPSILON = 1e-7;

  private static final int FORMAT = 1;

  private final GuardSettings settings;
  private long count;
  private long baseLoss;
  private long compensatedLoss;
  private long epoch;
  private long latest = Long.MIN_VALUE;
  private long observations;

  public CompensationGuard(GuardSettings settings) {
    this.settings = settings;
  }

  /** The settings this guard was created with. */
  public GuardSettings settings() {
    return settings;
  }

  /**
   * Adds one labelled sample: its label, the base score and the (unguarded) compensated score.
   *
   * @throws IllegalArgumentException if a probability is outside [0, 1] or the timestamp is
   *     negative
   */
  public void observe(long timestamp, double label, double baseScore, double compensatedScore) {
    if (!(label >= 0 && label <= 1)
        || !(baseScore >= 0 && baseScore <= 1)
        || !(compensatedScore >= 0 && compensatedScore <= 1)) {
      throw new IllegalArgumentException(
          "label, baseScore and compensatedScore must be in [0, 1], were "
              + label
              + ", "
              + baseScore
              + ", "
              + compensatedScore);
    }
    if (timestamp < 0) {
      throw new IllegalArgumentException("timestamp must be >= 0, was " + timestamp);
    }
    long halfLife = settings.halfLifeMs();
    long sampleEpoch = FixedPoint.epoch(timestamp, halfLife);
    double unit = FixedPoint.unit(timestamp, halfLife);
    long c = Math.round(unit);
    long b = Math.round(logloss(label, baseScore) * unit);
    long k = Math.round(logloss(label, compensatedScore) * unit);
    long oldShift = 0;
    long sampleShift = 0;
    long nextEpoch;
    if (observations == 0 || sampleEpoch > epoch) {
      oldShift = observations == 0 ? 0 : FixedPoint.epochShift(epoch, sampleEpoch);
      nextEpoch = sampleEpoch;
    } else {
      sampleShift = FixedPoint.epochShift(sampleEpoch, epoch);
      nextEpoch = epoch;
    }
    long nextCount =
        Math.addExact(
            FixedPoint.shiftFloor(count, oldShift), FixedPoint.shiftFloor(c, sampleShift));
    long nextBase =
        Math.addExact(
            FixedPoint.shiftFloor(baseLoss, oldShift), FixedPoint.shiftFloor(b, sampleShift));
    long nextCompensated =
        Math.addExact(
            FixedPoint.shiftFloor(compensatedLoss, oldShift),
            FixedPoint.shiftFloor(k, sampleShift));
    count = nextCount;
    baseLoss = nextBase;
    compensatedLoss = nextCompensated;
    epoch = nextEpoch;
    latest = Math.max(latest, timestamp);
    observations++;
  }

  /** The trust weight w in [0, 1]: 1 trusts the compensation fully, 0 serves the base. */
  public double trust() {
    if (weight() < settings.minWeight()) {
      return 1.0;
    }
    if (baseLoss <= 0) {
      return compensatedLoss <= baseLoss ? 1.0 : 0.0;
    }
    double w = 1.0 - excess() / settings.tolerance();
    return Math.min(1.0, Math.max(0.0, w));
  }

  /** Whether the guard holds the compensation back at all (trust below 1): for a metric. */
  public boolean isFallingBack() {
    return trust() < 1.0;
  }

  /**
   * The relative logloss excess of the compensated scores over the base, {@code (L_comp − L_base) /
   * L_base}: negative when the compensation helps; NaN before any observation with a base loss.
   */
  public double excess() {
    return baseLoss <= 0 ? Double.NaN : (double) (compensatedLoss - baseLoss) / baseLoss;
  }

  /** The mean base logloss over the recent observations; NaN before any. */
  public double baseLogloss() {
    return count <= 0 ? Double.NaN : (double) baseLoss / count;
  }

  /** The mean (unguarded) compensated logloss over the recent observations; NaN before any. */
  public double compensatedLogloss() {
    return count <= 0 ? Double.NaN : (double) compensatedLoss / count;
  }

  /** The decayed number of observations, at the newest observed event time. */
  public double weight() {
    if (observations == 0) {
      return 0.0;
    }
    return count * FixedPoint.decayFactor(epoch, latest, settings.halfLifeMs()) / FixedPoint.ONE;
  }

  /** The number of observations since creation. */
  public long observations() {
    return observations;
  }

  /** The state: {@code [format, count, baseLoss, compensatedLoss, epoch, latest, observations]}. */
  public long[] snapshot() {
    return new long[] {FORMAT, count, baseLoss, compensatedLoss, epoch, latest, observations};
  }

  /**
   * Replaces the state with a {@link #snapshot}.
   *
   * @throws IllegalArgumentException if it is not one; the guard is then unchanged
   */
  public void restore(long[] state) {
    if (state == null
        || state.length != 7
        || state[0] != FORMAT
        || state[1] < 0
        || state[2] < 0
        || state[3] < 0
        || state[6] < 0) {
      throw new IllegalArgumentException("not a guard state: " + Arrays.toString(state));
    }
    count = state[1];
    baseLoss = state[2];
    compensatedLoss = state[3];
    epoch = state[4];
    latest = state[5];
    observations = state[6];
  }

  static double logloss(double label, double score) {
    double p = Math.min(1 - LOGLOSS_EPSILON, Math.max(LOGLOSS_EPSILON, score));
    return -(label * StrictMath.log(p) + (1 - label) * StrictMath.log1p(-p));
  }
}
