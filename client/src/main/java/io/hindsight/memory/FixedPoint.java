package io.hindsight.memory;

/**
 * The fixed-point arithmetic of the sketches: every bucket sum is a {@code long} counting units of
 * 2^-20, so integer addition makes the sums independent of the order of the writes.
 *
 * <p><b>Scale.</b> A value x is stored as {@code Math.round(x · w · 2^20)}, where w is the sample's
 * decay weight (1 without decay, in [1, 2^8) within its epoch with decay). Resolution is 2^-20 ≈
 * 9.5e-7, about a float's precision for components near 1.
 *
 * <p><b>Overflow bound.</b> A bucket field overflows only when the sum of {@code |x_i| · w_i} over
 * its samples reaches 2^43 ≈ 8.8e12: for a count, label or base score (|x| ≤ 1) that is 8.8e12
 * samples in one bucket without decay and 3.4e10 with decay (within one epoch); key components are
 * limited to |x| ≤ {@link #MAX_KEY_COMPONENT} so a single sample can never overflow. A write that
 * would overflow any field is rejected whole with an {@link ArithmeticException} and changes
 * nothing.
 *
 * <p><b>Decay epochs.</b> With a half-life h, event time is cut into epochs of {@link
 * #EPOCH_HALF_LIVES} half-lives. A sample at time t in epoch e contributes with weight 2^((t −
 * e·8h)/h) ∈ [1, 2^8), rounded once. A bucket lives in the newest epoch of its samples; moving it
 * to a newer epoch, or adding an older sample to it, divides by 2^(8·Δepochs) with an arithmetic
 * right shift (floor).
 */
final class FixedPoint {

  /** Bits after the binary point. */
  static final int FRACTION_BITS = 20;

  /** The fixed-point representation of 1.0. */
  static final long ONE = 1L << FRACTION_BITS;

  /** Largest magnitude of a key component accepted by a write (2^20). */
  static final float MAX_KEY_COMPONENT = 1 << 20;

  /** Length of a decay epoch in half-lives: a sample weighs at most 2^8 in its own epoch. */
  static final int EPOCH_HALF_LIVES = 8;

  private FixedPoint() {}

  /** The decay epoch of event time {@code t}; 0 without decay. */
  static long epoch(long t, long halfLifeMs) {
    return halfLifeMs == 0 ? 0 : Math.floorDiv(t, EPOCH_HALF_LIVES * halfLifeMs);
  }

  /**
   * 2^20 times the weight of a sample at {@code t} relative to the start of its own epoch. Uses
   * only exact scaling and {@link StrictMath}, so every JVM computes the same bits.
   */
  static double unit(long t, long halfLifeMs) {
    if (halfLifeMs == 0) {
      return ONE;
    }
    long epochLength = EPOCH_HALF_LIVES * halfLifeMs;
    long sinceEpoch = Math.floorMod(t, epochLength);
    int wholeHalfLives = (int) (sinceEpoch / halfLifeMs);
    long rest = sinceEpoch % halfLifeMs;
    double fraction = StrictMath.pow(2.0, (double) rest / halfLifeMs);
    return Math.scalb(fraction, FRACTION_BITS + wholeHalfLives);
  }

  /**
   * The factor that turns a bucket's stored weight (relative to the start of {@code epoch}) into
   * its weight at event time {@code t}.
   */
  static double decayFactor(long epoch, long t, long halfLifeMs) {
    if (halfLifeMs == 0) {
      return 1.0;
    }
    double epochStart = (double) epoch * EPOCH_HALF_LIVES * halfLifeMs;
    return StrictMath.pow(2.0, (epochStart - t) / halfLifeMs);
  }

  /** {@code floor(value / 2^bits)} for any non-negative {@code bits}. */
  static long shiftFloor(long value, long bits) {
    if (bits == 0) {
      return value;
    }
    return bits >= Long.SIZE - 1 ? (value < 0 ? -1 : 0) : value >> bits;
  }

  /** The shift that moves a sum from epoch {@code from} to the newer epoch {@code to}. */
  static long epochShift(long from, long to) {
    long epochs = to - from;
    return epochs >= Long.SIZE ? Long.SIZE : epochs * EPOCH_HALF_LIVES;
  }
}
