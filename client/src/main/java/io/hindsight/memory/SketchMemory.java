package io.hindsight.memory;

import java.util.Arrays;

/**
 * The ReLoop2 LSH sketch over any bucket storage; single-threaded (one writer that also reads).
 * Subclasses only store and load buckets; writing, reading and hashing live here so every layout
 * computes bit-identical contents.
 *
 * <p><b>Layout.</b> K arrays × 2^L buckets; bucket (k, b) has index {@code k·2^L + b}. A bucket is
 * {@code d + 3} longs, {@code [n, Σy, Σy_base, Σh_0 … Σh_{d−1}]}, plus a trailing decay epoch when
 * decay is on, all in the fixed point of {@link FixedPoint} (2^20 units per 1.0): n is the
 * (weighted) sample count times 2^20.
 *
 * <p><b>Order independence, guaranteed and tested.</b>
 *
 * <ul>
 *   <li>Without decay, every permutation of the same writes gives bit-identical buckets: each field
 *       is a sum of per-sample integers fixed by the sample alone.
 *   <li>With decay, each sample's contribution is rounded once in its own epoch and each bucket
 *       ends in the newest epoch of its samples, whatever the order. Contents are bit-identical for
 *       any order that applies a bucket's samples in non-decreasing epoch order (e.g. any
 *       reordering within an epoch of 8 half-lives). Otherwise a shift to a newer epoch floors a
 *       sum of several samples instead of each one, so a field can differ by at most one unit
 *       (2^-20) per sample of that bucket; reads then differ in the sixth decimal or less, but
 *       {@link #contentHash} and {@link #sameContents} tell the replicas apart.
 * </ul>
 *
 * <p><b>Decay.</b> A sample at time t weighs 2^(−(t_read − t)/h) at read time t_read, so a bucket's
 * weight halves every half-life. Every bucket mean and the cosine are ratios of sums with the same
 * weights, so decay changes which samples dominate a bucket, and, through nMin, which buckets
 * count: reads convert the stored weight to the read time only for the nMin test.
 */
public abstract sealed class SketchMemory implements ErrorMemory
    permits OnHeapSketchMemory, OffHeapSketchMemory, ChronicleSketchMemory {

  static final int COUNT = 0;
  static final int LABELS = 1;
  static final int BASES = 2;
  static final int KEYS = 3;

  final SketchSettings settings;
  final int arrays;
  final int bits;
  final int dimension;

  /** Longs per bucket. */
  final int stride;

  /** Index of the epoch field in a bucket, or -1 without decay. */
  final int epochSlot;

  private final long halfLifeMs;
  private final SrpHash hash;

  // Scratch space: the memory is single-threaded so the hot paths never allocate.
  private final int[] buckets;
  private final long[] indices;
  private final SrpHash.Workspace workspace;
  private final long[] loaded;
  private final long[][] updated;
  private final long[] contribution;
  private final long[] previousCount;
  private final double[] similarity;
  private final double[] labelMean;
  private final double[] baseMean;

  long samples;
  long bucketsInUse;
  private boolean closed;

  SketchMemory(SketchSettings settings) {
    this.settings = settings;
    this.arrays = settings.arrays();
    this.bits = settings.bits();
    this.dimension = settings.dimension();
    this.stride = stride(settings);
    this.epochSlot = settings.decays() ? dimension + 3 : -1;
    this.halfLifeMs = settings.halfLifeMs();
    this.hash = SrpHash.of(settings);
    this.buckets = new int[arrays];
    this.indices = new long[arrays];
    this.workspace = hash.newWorkspace();
    this.loaded = new long[stride];
    this.updated = new long[arrays][stride];
    this.contribution = new long[stride];
    this.previousCount = new long[arrays];
    this.similarity = new double[arrays];
    this.labelMean = new double[arrays];
    this.baseMean = new double[arrays];
  }

  /** Longs per bucket for these settings: d + 3, plus one for the epoch when decay is on. */
  public static int stride(SketchSettings settings) {
    return settings.dimension() + 3 + (settings.decays() ? 1 : 0);
  }

  /**
   * The array holding bucket {@code index} at {@link #bucketOffset}: either the backing array or
   * {@code scratch} (length {@link #stride}) filled with a copy. Absent buckets read as zeros.
   */
  abstract long[] loadBucket(long index, long[] scratch);

  /** Where {@link #loadBucket} placed the bucket in the array it returned. */
  abstract int bucketOffset(long index);

  /** Replaces bucket {@code index} with {@code values} (length {@link #stride}). */
  abstract void storeBucket(long index, long[] values);

  /**
   * Touches every cache line of the buckets about to be read, so their cache and TLB misses overlap
   * instead of arriving one bucket at a time. Layouts without direct access do nothing.
   */
  void prefetch(long[] indices, int count) {}

  /** Releases storage; called once, by the first {@link #close}. */
  abstract void release();

  /** Calls {@code visitor} for every bucket that may be non-zero; layouts may skip empty ones. */
  void forEachBucket(BucketVisitor visitor) {
    long total = totalBuckets();
    for (long index = 0; index < total; index++) {
      long[] values = loadBucket(index, loaded);
      visitor.visit(index, values, bucketOffset(index));
    }
  }

  interface BucketVisitor {
    void visit(long index, long[] values, int offset);
  }

  @Override
  public final SketchSettings settings() {
    return settings;
  }

  @Override
  public final void write(LabelledSample sample) {
    checkOpen();
    float[] key = sample.key();
    Keys.checkWritable(key, dimension);
    if (!Keys.passesThreshold(settings, sample.label(), sample.baseScore())) {
      return;
    }
    hashIndices(key);
    long sampleEpoch = FixedPoint.epoch(sample.timestamp(), halfLifeMs);
    double unit = FixedPoint.unit(sample.timestamp(), halfLifeMs);
    contribution[COUNT] = Math.round(unit);
    contribution[LABELS] = Math.round(sample.label() * unit);
    contribution[BASES] = Math.round(sample.baseScore() * unit);
    for (int i = 0; i < dimension; i++) {
      contribution[KEYS + i] = Math.round(key[i] * unit);
    }
    // All K new buckets are computed before any is stored, so a write that would overflow is
    // rejected whole: a half-applied sample would be counted again by a retry.
    int fields = dimension + 3;
    for (int k = 0; k < arrays; k++) {
      long index = indices[k];
      long[] old = loadBucket(index, loaded);
      int off = bucketOffset(index);
      long[] next = updated[k];
      previousCount[k] = old[off + COUNT];
      long oldShift = 0;
      long sampleShift = 0;
      if (epochSlot >= 0) {
        long bucketEpoch = old[off + epochSlot];
        if (sampleEpoch > bucketEpoch) {
          oldShift = FixedPoint.epochShift(bucketEpoch, sampleEpoch);
          next[epochSlot] = sampleEpoch;
        } else {
          sampleShift = FixedPoint.epochShift(sampleEpoch, bucketEpoch);
          next[epochSlot] = bucketEpoch;
        }
      }
      try {
        if (oldShift == 0 && sampleShift == 0) {
          for (int f = 0; f < fields; f++) {
            next[f] = Math.addExact(old[off + f], contribution[f]);
          }
        } else {
          for (int f = 0; f < fields; f++) {
            next[f] =
                Math.addExact(
                    FixedPoint.shiftFloor(old[off + f], oldShift),
                    FixedPoint.shiftFloor(contribution[f], sampleShift));
          }
        }
      } catch (ArithmeticException e) {
        throw new ArithmeticException(
            "bucket "
                + index
                + " would overflow; the sample was rejected, the memory is unchanged");
      }
    }
    for (int k = 0; k < arrays; k++) {
      storeBucket(indices[k], updated[k]);
      boolean wasInUse = previousCount[k] > 0;
      boolean inUse = updated[k][COUNT] > 0;
      if (inUse != wasInUse) {
        bucketsInUse += inUse ? 1 : -1;
      }
    }
    samples++;
  }

  @Override
  public final Readout read(float[] query, double baseScore, long timestamp) {
    checkOpen();
    double queryNorm = Keys.checkQuery(query, dimension, baseScore);
    hashIndices(query);
    double minUnits = settings.nMin() * FixedPoint.ONE;
    long factorEpoch = Long.MIN_VALUE;
    double factor = 1.0;
    int used = 0;
    for (int k = 0; k < arrays; k++) {
      long index = indices[k];
      long[] values = loadBucket(index, loaded);
      int off = bucketOffset(index);
      long n = values[off + COUNT];
      if (n <= 0) {
        continue;
      }
      if (epochSlot >= 0) {
        long epoch = values[off + epochSlot];
        // Buckets touched in the same epoch share a factor: one pow per read, not K.
        if (epoch != factorEpoch) {
          factor = FixedPoint.decayFactor(epoch, timestamp, halfLifeMs);
          factorEpoch = epoch;
        }
        if (n * factor < minUnits) {
          continue;
        }
      } else if (n < minUnits) {
        continue;
      }
      // Four independent sums each: one would wait on every addition's latency.
      double dot0 = 0;
      double dot1 = 0;
      double dot2 = 0;
      double dot3 = 0;
      double norm0 = 0;
      double norm1 = 0;
      double norm2 = 0;
      double norm3 = 0;
      int keys = off + KEYS;
      int i = 0;
      for (; i + 3 < dimension; i += 4) {
        double h0 = values[keys + i];
        double h1 = values[keys + i + 1];
        double h2 = values[keys + i + 2];
        double h3 = values[keys + i + 3];
        dot0 += query[i] * h0;
        dot1 += query[i + 1] * h1;
        dot2 += query[i + 2] * h2;
        dot3 += query[i + 3] * h3;
        norm0 += h0 * h0;
        norm1 += h1 * h1;
        norm2 += h2 * h2;
        norm3 += h3 * h3;
      }
      for (; i < dimension; i++) {
        double h = values[keys + i];
        dot0 += query[i] * h;
        norm0 += h * h;
      }
      double dot = (dot0 + dot1) + (dot2 + dot3);
      double norm = (norm0 + norm1) + (norm2 + norm3);
      similarity[used] = norm > 0 && queryNorm > 0 ? dot / (queryNorm * Math.sqrt(norm)) : 0.0;
      labelMean[used] = values[off + LABELS] / (double) n;
      baseMean[used] = values[off + BASES] / (double) n;
      used++;
    }
    return CompensationFormula.combine(settings, baseScore, used, similarity, labelMean, baseMean);
  }

  @Override
  public final long samples() {
    checkOpen();
    return samples;
  }

  @Override
  public final long bucketsInUse() {
    checkOpen();
    return bucketsInUse;
  }

  /** K · 2^L. */
  public final long totalBuckets() {
    return settings.totalBuckets();
  }

  /** Longs per bucket. */
  public final int stride() {
    return stride;
  }

  /** The index of bucket {@code bucket} of array {@code array}: {@code array·2^L + bucket}. */
  public final long bucketIndex(int array, int bucket) {
    return ((long) array << bits) | bucket;
  }

  /** Copies bucket {@code index}'s exact fixed-point fields into {@code out} (length stride). */
  public final void copyBucket(long index, long[] out) {
    checkOpen();
    checkIndex(index);
    long[] values = loadBucket(index, loaded);
    System.arraycopy(values, bucketOffset(index), out, 0, stride);
  }

  /** The sample weight of bucket {@code index} at event time {@code timestamp}. */
  public final double bucketWeight(long index, long timestamp) {
    checkOpen();
    checkIndex(index);
    long[] values = loadBucket(index, loaded);
    int off = bucketOffset(index);
    double factor =
        epochSlot < 0
            ? 1.0
            : FixedPoint.decayFactor(values[off + epochSlot], timestamp, halfLifeMs);
    return values[off + COUNT] * factor / FixedPoint.ONE;
  }

  /** The hash used to place keys in buckets. */
  public final SrpHash hash() {
    return hash;
  }

  @Override
  public final long contentHash() {
    checkOpen();
    long[] total = {0};
    forEachBucket((index, values, off) -> total[0] += bucketHash(index, values, off));
    return total[0];
  }

  /**
   * A bucket's share of {@link #contentHash}: 0 for an all-zero bucket, so absent and zeroed
   * buckets agree, and summed, so the visiting order does not matter.
   */
  private long bucketHash(long index, long[] values, int off) {
    boolean empty = true;
    for (int f = 0; f < stride; f++) {
      if (values[off + f] != 0) {
        empty = false;
        break;
      }
    }
    if (empty) {
      return 0;
    }
    long h = mix(index ^ 0x6a09e667f3bcc909L);
    for (int f = 0; f < stride; f++) {
      h = mix(h ^ values[off + f]) + f;
    }
    return h;
  }

  @Override
  public final boolean sameContents(ErrorMemory other) {
    checkOpen();
    if (!(SynchronizedErrorMemory.unwrap(other) instanceof SketchMemory that)
        || !settings.sameContentLayout(that.settings)
        || stride != that.stride) {
      return false;
    }
    long[] mine = new long[stride];
    long[] theirs = new long[stride];
    long total = totalBuckets();
    for (long index = 0; index < total; index++) {
      copyBucket(index, mine);
      that.copyBucket(index, theirs);
      if (!Arrays.equals(mine, theirs)) {
        return false;
      }
    }
    return true;
  }

  @Override
  public final void close() {
    if (closed) {
      return;
    }
    closed = true;
    release();
  }

  /**
   * Releases the storage the way a dying process would, without marking anything clean: for crash
   * tests in one JVM, where a live map would still hold its file lock.
   */
  final void abandon() {
    if (!closed) {
      closed = true;
      abandonStorage();
    }
  }

  /** Drops the storage without a clean close; by default leaves it to the garbage collector. */
  void abandonStorage() {}

  private void checkIndex(long index) {
    if (index < 0 || index >= totalBuckets()) {
      throw new IndexOutOfBoundsException("bucket " + index + " of " + totalBuckets());
    }
  }

  final void checkOpen() {
    if (closed) {
      throw new IllegalStateException(getClass().getSimpleName() + " is closed");
    }
  }

  /** Hashes {@code key} into the K bucket indices and starts fetching those buckets. */
  private void hashIndices(float[] key) {
    hash.buckets(key, buckets, workspace);
    for (int k = 0; k < arrays; k++) {
      indices[k] = ((long) k << bits) | buckets[k];
    }
    prefetch(indices, arrays);
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
