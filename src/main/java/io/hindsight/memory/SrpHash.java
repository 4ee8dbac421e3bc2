package io.hindsight.memory;

import java.util.Arrays;

/**
 * Seeded signed-random-projection hashing: K arrays of L hyperplanes in R^d, with bit j of array k
 * set when the key lies strictly on the positive side of hyperplane (k, j). Immutable and
 * thread-safe; the same seed gives the same buckets on every JVM.
 *
 * <p>The hyperplanes are K·L·d standard Gaussians from a SplitMix64 stream and the Box–Muller
 * transform with {@link StrictMath} (both specified here, so they never change under a JDK
 * upgrade). They are stored dimension-major ({@code [i][k·L + j]}) so hashing a key into all K
 * arrays is one contiguous multiply-add sweep per non-zero key component.
 */
public final class SrpHash {

  /** Version of the hyperplane generation; stored with persisted memories. */
  public static final int ALGORITHM_VERSION = 1;

  private final int arrays;
  private final int bits;
  private final int dimension;
  private final long seed;
  private final int planes;
  private final float[] hyperplanes;

  public SrpHash(int arrays, int bits, int dimension, long seed) {
    if (arrays < 1 || bits < 1 || bits > 30 || dimension < 1) {
      throw new IllegalArgumentException(
          "SrpHash needs arrays >= 1, bits in [1, 30], dimension >= 1; was "
              + arrays
              + ", "
              + bits
              + ", "
              + dimension);
    }
    long size = (long) arrays * bits * dimension;
    if (size > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("SrpHash too large: arrays * bits * dimension = " + size);
    }
    this.arrays = arrays;
    this.bits = bits;
    this.dimension = dimension;
    this.seed = seed;
    this.planes = arrays * bits;
    this.hyperplanes = new float[(int) size];
    Gaussians gaussians = new Gaussians(seed);
    for (int plane = 0; plane < planes; plane++) {
      for (int i = 0; i < dimension; i++) {
        hyperplanes[i * planes + plane] = (float) gaussians.next();
      }
    }
  }

  /** The hash of the given settings' K, L, d and seed. */
  public static SrpHash of(SketchSettings settings) {
    return new SrpHash(settings.arrays(), settings.bits(), settings.dimension(), settings.seed());
  }

  /** The bucket in [0, 2^L) of {@code key} in array {@code k}. */
  public int bucket(int k, float[] key) {
    checkKey(key);
    if (k < 0 || k >= arrays) {
      throw new IndexOutOfBoundsException("array " + k + " of " + arrays);
    }
    float[] dots = new float[bits];
    int first = k * bits;
    for (int i = 0; i < dimension; i++) {
      float x = key[i];
      if (x == 0f) {
        continue;
      }
      int row = i * planes + first;
      for (int j = 0; j < bits; j++) {
        dots[j] += hyperplanes[row + j] * x;
      }
    }
    return signs(dots, 0);
  }

  /** The buckets of {@code key} in every array, into {@code out[0..K)}. */
  public void buckets(float[] key, int[] out) {
    buckets(key, out, new float[planes]);
  }

  /**
   * The buckets of {@code key} in every array, into {@code out[0..K)}, using {@code scratch}
   * (length >= K·L) as workspace so the hot path does not allocate. Gives exactly the same buckets
   * as {@link #bucket}: each projection is summed in the same order.
   */
  public void buckets(float[] key, int[] out, float[] scratch) {
    checkKey(key);
    if (out.length < arrays || scratch.length < planes) {
      throw new IllegalArgumentException("out needs " + arrays + ", scratch " + planes + " slots");
    }
    Arrays.fill(scratch, 0, planes, 0f);
    for (int i = 0; i < dimension; i++) {
      float x = key[i];
      // Skipping zeros changes no sum (adding ±0 to a sum that started at +0 is exact) and makes
      // sparse hashed-feature keys cheap.
      if (x == 0f) {
        continue;
      }
      int row = i * planes;
      for (int p = 0; p < planes; p++) {
        scratch[p] += hyperplanes[row + p] * x;
      }
    }
    for (int k = 0; k < arrays; k++) {
      out[k] = signs(scratch, k * bits);
    }
  }

  public int arrays() {
    return arrays;
  }

  public int bits() {
    return bits;
  }

  public int dimension() {
    return dimension;
  }

  public long seed() {
    return seed;
  }

  private int signs(float[] dots, int from) {
    int bucket = 0;
    for (int j = 0; j < bits; j++) {
      if (dots[from + j] > 0f) {
        bucket |= 1 << j;
      }
    }
    return bucket;
  }

  private void checkKey(float[] key) {
    if (key.length != dimension) {
      throw new IllegalArgumentException(
          "key dimension " + key.length + " differs from the sketch's " + dimension);
    }
  }

  /** Standard normal deviates from SplitMix64 and Box–Muller, bit-identical on every JVM. */
  private static final class Gaussians {
    private long state;
    private double spare;
    private boolean hasSpare;

    Gaussians(long seed) {
      this.state = seed;
    }

    double next() {
      if (hasSpare) {
        hasSpare = false;
        return spare;
      }
      // u1 in (0, 1] so the logarithm is finite.
      double u1 = ((nextLong() >>> 11) + 1) * 0x1.0p-53;
      double u2 = (nextLong() >>> 11) * 0x1.0p-53;
      double radius = StrictMath.sqrt(-2.0 * StrictMath.log(u1));
      double angle = 2.0 * StrictMath.PI * u2;
      spare = radius * StrictMath.sin(angle);
      hasSpare = true;
      return radius * StrictMath.cos(angle);
    }

    private long nextLong() {
      long z = (state += 0x9e3779b97f4a7c15L);
      z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
      z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
      return z ^ (z >>> 31);
    }
  }
}
