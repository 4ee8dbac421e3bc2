package io.hindsight.memory;

/**
 * Immutable settings of an error memory: the sketch shape (K arrays of 2^L buckets over keys of
 * dimension d, hashed with hyperplanes drawn from {@code seed}), the read formula (τ, λ, γ, nMin)
 * and the write policy (error threshold σ, event-time half-life).
 *
 * <p>Only {@link #sameContentLayout the content-defining fields} decide whether a stored memory can
 * be reused: the read parameters can be retuned without a rebuild.
 *
 * @param arrays K, the number of independent hash arrays (the sketch's "top-k")
 * @param bits L, signed-random-projection bits per array (2^L buckets per array)
 * @param dimension d, the key dimension
 * @param seed seed of the hyperplanes; writers, readers and replays must agree on it
 * @param tau softmax temperature τ of the attention over bucket similarities
 * @param lambda compensation weight λ; 0 returns the base score unchanged
 * @param gamma γ in [0, 1]: 1 estimates the error from neighbours' labels (the paper's setting), 0
 *     from the neighbours' own residuals
 * @param nMin buckets whose (decayed) sample weight is below nMin are skipped on read
 * @param errorThreshold σ: when positive, only samples with {@code |label − baseScore| > σ} are
 *     written; 0 writes every sample
 * @param halfLifeMs event-time half-life of a sample's weight; 0 disables decay
 */
public record SketchSettings(
    int arrays,
    int bits,
    int dimension,
    long seed,
    double tau,
    double lambda,
    double gamma,
    double nMin,
    double errorThreshold,
    long halfLifeMs) {

  /** Largest K accepted. */
  public static final int MAX_ARRAYS = 4096;

  /** Largest L accepted: 2^24 buckets per array is already far beyond useful sketch sizes. */
  public static final int MAX_BITS = 24;

  /** Largest key dimension accepted. */
  public static final int MAX_DIMENSION = 1 << 16;

  /** The seed used by {@link #defaults(int)}. */
  public static final long DEFAULT_SEED = 0x48696e6473696768L;

  public SketchSettings {
    if (arrays < 1 || arrays > MAX_ARRAYS) {
      throw invalid("arrays", "in [1, " + MAX_ARRAYS + "]", arrays);
    }
    if (bits < 1 || bits > MAX_BITS) {
      throw invalid("bits", "in [1, " + MAX_BITS + "]", bits);
    }
    if ((long) arrays << bits > Integer.MAX_VALUE) {
      throw invalid("arrays", "such that arrays * 2^bits <= 2^31 - 1", arrays);
    }
    if (dimension < 1 || dimension > MAX_DIMENSION) {
      throw invalid("dimension", "in [1, " + MAX_DIMENSION + "]", dimension);
    }
    if (!(tau > 0) || !Double.isFinite(tau)) {
      throw invalid("tau", "finite and > 0", tau);
    }
    if (!(lambda >= 0) || !Double.isFinite(lambda)) {
      throw invalid("lambda", "finite and >= 0", lambda);
    }
    if (!(gamma >= 0 && gamma <= 1)) {
      throw invalid("gamma", "in [0, 1]", gamma);
    }
    if (!(nMin >= 0) || !Double.isFinite(nMin)) {
      throw invalid("nMin", "finite and >= 0", nMin);
    }
    if (!(errorThreshold >= 0) || !Double.isFinite(errorThreshold)) {
      throw invalid("errorThreshold", "finite and >= 0", errorThreshold);
    }
    if (halfLifeMs < 0 || halfLifeMs > Long.MAX_VALUE / FixedPoint.EPOCH_HALF_LIVES) {
      throw invalid(
          "halfLifeMs", "in [0, " + Long.MAX_VALUE / FixedPoint.EPOCH_HALF_LIVES + "]", halfLifeMs);
    }
  }

  /**
   * The design defaults for keys of the given dimension: K = 64, L = 12, τ = 0.1, λ = 0.5, γ = 1,
   * nMin = 1, σ = 0 (write all), no decay.
   */
  public static SketchSettings defaults(int dimension) {
    return new SketchSettings(64, 12, dimension, DEFAULT_SEED, 0.1, 0.5, 1.0, 1.0, 0.0, 0L);
  }

  /** K · 2^L, the number of buckets of the sketch. */
  public int totalBuckets() {
    return arrays << bits;
  }

  /** Whether decay is enabled ({@code halfLifeMs > 0}). */
  public boolean decays() {
    return halfLifeMs > 0;
  }

  /**
   * Whether a memory written under {@code other} holds exactly what one written under these
   * settings would: same K, L, d, seed, σ and half-life. τ, λ, γ and nMin only affect reads.
   */
  public boolean sameContentLayout(SketchSettings other) {
    return arrays == other.arrays
        && bits == other.bits
        && dimension == other.dimension
        && seed == other.seed
        && Double.compare(errorThreshold, other.errorThreshold) == 0
        && halfLifeMs == other.halfLifeMs;
  }

  public SketchSettings withArrays(int value) {
    return new SketchSettings(
        value, bits, dimension, seed, tau, lambda, gamma, nMin, errorThreshold, halfLifeMs);
  }

  public SketchSettings withBits(int value) {
    return new SketchSettings(
        arrays, value, dimension, seed, tau, lambda, gamma, nMin, errorThreshold, halfLifeMs);
  }

  public SketchSettings withDimension(int value) {
    return new SketchSettings(
        arrays, bits, value, seed, tau, lambda, gamma, nMin, errorThreshold, halfLifeMs);
  }

  public SketchSettings withSeed(long value) {
    return new SketchSettings(
        arrays, bits, dimension, value, tau, lambda, gamma, nMin, errorThreshold, halfLifeMs);
  }

  public SketchSettings withTau(double value) {
    return new SketchSettings(
        arrays, bits, dimension, seed, value, lambda, gamma, nMin, errorThreshold, halfLifeMs);
  }

  public SketchSettings withLambda(double value) {
    return new SketchSettings(
        arrays, bits, dimension, seed, tau, value, gamma, nMin, errorThreshold, halfLifeMs);
  }

  public SketchSettings withGamma(double value) {
    return new SketchSettings(
        arrays, bits, dimension, seed, tau, lambda, value, nMin, errorThreshold, halfLifeMs);
  }

  public SketchSettings withNMin(double value) {
    return new SketchSettings(
        arrays, bits, dimension, seed, tau, lambda, gamma, value, errorThreshold, halfLifeMs);
  }

  public SketchSettings withErrorThreshold(double value) {
    return new SketchSettings(
        arrays, bits, dimension, seed, tau, lambda, gamma, nMin, value, halfLifeMs);
  }

  public SketchSettings withHalfLifeMs(long value) {
    return new SketchSettings(
        arrays, bits, dimension, seed, tau, lambda, gamma, nMin, errorThreshold, value);
  }

  private static IllegalArgumentException invalid(String field, String expected, Object actual) {
    return new IllegalArgumentException(
        "SketchSettings." + field + " must be " + expected + ", was " + actual);
  }
}
