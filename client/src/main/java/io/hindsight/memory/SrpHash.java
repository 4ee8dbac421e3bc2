package io.hindsight.memory;

import java.util.Arrays;

/**
 * Seeded signed-random-projection hashing: K arrays of L hyperplanes in R^d, with bit j of array k
 * set when the key lies strictly on the positive side of hyperplane (k, j). Immutable and
 * thread-safe; the same seed gives the same buckets on every JVM.
 *
 * <p>The hyperplanes are K·L·d standard Gaussians from a SplitMix64 stream and the Box–Muller
 * transform with {@link StrictMath} (both specified here, so they never change under a JDK
 * upgrade). Each projection is one chain of {@link Math#fma} over the key's non-zero components in
 * ascending order: fused multiply-add is exactly specified, so the sign, and the bucket, is the
 * same on every JVM, vectorized or not.
 *
 * <p>Hashing costs K·L·d multiply-adds, the largest compute cost of a read. The coefficients are
 * kept as one array per key component ({@code rows[i][k·L + j]}), so hashing is sweeps of {@code
 * p[·] = fma(rows[i][·], x_i, p[·])}, four components per sweep; the JIT vectorizes that form
 * because the arrays have no offset between them (with one flat array and a row offset it cannot
 * prove they do not overlap, and stays scalar, about 8 times slower).
 */
public final class SrpHash {

  /** Version of the hyperplane generation and projection; stored with persisted memories. */
  public static final int ALGORITHM_VERSION = 1;

  private final int arrays;
  private final int bits;
  private final int dimension;
  private final long seed;
  private final int planes;
  private final float[][] rows;

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
    long planeCount = (long) arrays * bits;
    if (planeCount > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("SrpHash too large: arrays * bits = " + planeCount);
    }
    this.arrays = arrays;
    this.bits = bits;
    this.dimension = dimension;
    this.seed = seed;
    this.planes = (int) planeCount;
    this.rows = new float[dimension][planes];
    Gaussians gaussians = new Gaussians(seed);
    for (int plane = 0; plane < planes; plane++) {
      for (int i = 0; i < dimension; i++) {
        rows[i][plane] = (float) gaussians.next();
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
    int bucket = 0;
    for (int j = 0; j < bits; j++) {
      int plane = k * bits + j;
      float projection = 0f;
      for (int i = 0; i < dimension; i++) {
        float x = key[i];
        if (x != 0f) {
          projection = Math.fma(rows[i][plane], x, projection);
        }
      }
      bucket |= positive(projection) << j;
    }
    return bucket;
  }

  /** The buckets of {@code key} in every array, into {@code out[0..K)}. */
  public void buckets(float[] key, int[] out) {
    buckets(key, out, newWorkspace());
  }

  /** Reusable scratch space for {@link #buckets(float[], int[], Workspace)}; one per thread. */
  public Workspace newWorkspace() {
    return new Workspace(planes);
  }

  /** Scratch space for hashing, so the hot path does not allocate. Not thread-safe. */
  public static final class Workspace {
    final float[] projections;

    /** The projections of a tile of keys hashed together; the first is {@link #projections}. */
    final float[][] tile;

    private Workspace(int planes) {
      this.tile = new float[TILE][planes];
      this.projections = tile[0];
    }
  }

  /** Keys hashed together by {@link #buckets(float[][], int, int[][], Workspace)}. */
  private static final int TILE = 4;

  /**
   * The buckets of {@code key} in every array, into {@code out[0..K)}, using a workspace from this
   * hash. Gives exactly the same buckets as {@link #bucket}: every projection is the same chain of
   * fused multiply-adds.
   */
  public void buckets(float[] key, int[] out, Workspace workspace) {
    checkKey(key);
    if (out.length < arrays || workspace.projections.length != planes) {
      throw new IllegalArgumentException(
          "out needs " + arrays + " slots and a workspace of this hash");
    }
    float[] projections = workspace.projections;
    Arrays.fill(projections, 0f);
    int i = 0;
    // Four components per sweep: a quarter of the loads and stores of the projections, and each
    // projection is still the same chain of fma over ascending components.
    for (; i + 3 < dimension; i += 4) {
      float x0 = key[i];
      float x1 = key[i + 1];
      float x2 = key[i + 2];
      float x3 = key[i + 3];
      // Zero components change no projection (fma(w, 0, p) == p for the +0 a sum starts at), so
      // sparse hashed-feature keys skip the groups that are all zero.
      if (x0 == 0f && x1 == 0f && x2 == 0f && x3 == 0f) {
        continue;
      }
      float[] r0 = rows[i];
      float[] r1 = rows[i + 1];
      float[] r2 = rows[i + 2];
      float[] r3 = rows[i + 3];
      for (int p = 0; p < planes; p++) {
        projections[p] =
            Math.fma(
                r3[p],
                x3,
                Math.fma(r2[p], x2, Math.fma(r1[p], x1, Math.fma(r0[p], x0, projections[p]))));
      }
    }
    for (; i < dimension; i++) {
      float x = key[i];
      if (x == 0f) {
        continue;
      }
      float[] row = rows[i];
      for (int p = 0; p < planes; p++) {
        projections[p] = Math.fma(row[p], x, projections[p]);
      }
    }
    bucketsOf(projections, out);
  }

  /**
   * The buckets of {@code keys[j]} into {@code out[j][0..K)} for every j < {@code count}: exactly
   * what {@link #buckets(float[], int[], Workspace)} gives key by key (the same chain of fused
   * multiply-adds for every projection), with each hyperplane row read once per four keys instead
   * of once per key. The rows (K·L·d floats, 196 KiB at K = 64, L = 12, d = 64) do not fit the L1
   * cache, so a key at a time streams them all from L2; four keys at a time share each row while it
   * is in L1.
   */
  public void buckets(float[][] keys, int count, int[][] out, Workspace workspace) {
    if (count > keys.length || out.length < count || workspace.tile[0].length != planes) {
      throw new IllegalArgumentException(
          "keys and out need " + count + " rows and a workspace of this hash");
    }
    int j = 0;
    for (; j + TILE <= count; j += TILE) {
      for (int t = 0; t < TILE; t++) {
        checkKey(keys[j + t]);
        if (out[j + t].length < arrays) {
          throw new IllegalArgumentException("out needs " + arrays + " slots per key");
        }
      }
      project(keys[j], keys[j + 1], keys[j + 2], keys[j + 3], workspace.tile);
      for (int t = 0; t < TILE; t++) {
        bucketsOf(workspace.tile[t], out[j + t]);
      }
    }
    for (; j < count; j++) {
      buckets(keys[j], out[j], workspace);
    }
  }

  /**
   * The projections of four keys into {@code p[0..4)}. Applying a zero component leaves a
   * projection unchanged (fma(w, 0, p) is p, or a zero of the other sign, which only a projection
   * of zero can have and whose bucket bit is 0 either way), so a group of components is skipped
   * only when it is zero in all four keys, and the buckets equal those of one key at a time.
   */
  private void project(float[] a, float[] b, float[] c, float[] e, float[][] p) {
    float[] pa = p[0];
    float[] pb = p[1];
    float[] pc = p[2];
    float[] pe = p[3];
    Arrays.fill(pa, 0f);
    Arrays.fill(pb, 0f);
    Arrays.fill(pc, 0f);
    Arrays.fill(pe, 0f);
    int i = 0;
    for (; i + 1 < dimension; i += 2) {
      float a0 = a[i];
      float a1 = a[i + 1];
      float b0 = b[i];
      float b1 = b[i + 1];
      float c0 = c[i];
      float c1 = c[i + 1];
      float e0 = e[i];
      float e1 = e[i + 1];
      if (a0 == 0f && a1 == 0f && b0 == 0f && b1 == 0f && c0 == 0f && c1 == 0f && e0 == 0f
          && e1 == 0f) {
        continue;
      }
      float[] r0 = rows[i];
      float[] r1 = rows[i + 1];
      for (int q = 0; q < planes; q++) {
        float w0 = r0[q];
        float w1 = r1[q];
        pa[q] = Math.fma(w1, a1, Math.fma(w0, a0, pa[q]));
        pb[q] = Math.fma(w1, b1, Math.fma(w0, b0, pb[q]));
        pc[q] = Math.fma(w1, c1, Math.fma(w0, c0, pc[q]));
        pe[q] = Math.fma(w1, e1, Math.fma(w0, e0, pe[q]));
      }
    }
    for (; i < dimension; i++) {
      float[] row = rows[i];
      for (int q = 0; q < planes; q++) {
        float w = row[q];
        pa[q] = Math.fma(w, a[i], pa[q]);
        pb[q] = Math.fma(w, b[i], pb[q]);
        pc[q] = Math.fma(w, c[i], pc[q]);
        pe[q] = Math.fma(w, e[i], pe[q]);
      }
    }
  }

  private void bucketsOf(float[] projections, int[] out) {
    for (int k = 0; k < arrays; k++) {
      int bucket = 0;
      int first = k * bits;
      for (int j = 0; j < bits; j++) {
        bucket |= positive(projections[first + j]) << j;
      }
      out[k] = bucket;
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

  /**
   * 1 if {@code p > 0}, else 0, without a branch: random signs would mispredict half the time.
   * Positive floats, and only they, have positive bit patterns (+0 is 0, negatives are < 0).
   */
  private static int positive(float p) {
    return (int) (-(long) Float.floatToRawIntBits(p) >>> 63);
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
