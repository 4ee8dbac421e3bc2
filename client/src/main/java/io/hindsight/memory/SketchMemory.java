package io.hindsight.memory;

import java.util.Arrays;

/**
 * The ReLoop2 LSH sketch over any bucket storage: one writer; reads may overlap each other, never a
 * write (each reading thread has its own scratch space). Subclasses only store and load buckets;
 * writing, reading and hashing live here so every layout computes bit-identical contents.
 *
 * <p><b>Layout.</b> K arrays × 2^L buckets; bucket (k, b) has index {@code k·2^L + b}. A bucket is
 * {@link #stride} longs, a whole number of 64-byte lines, in this order (a layout may store its
 * parts apart, as {@link OffHeapSketchMemory} does); a read needs the first 1 + ⌈d/64⌉ lines:
 *
 * <ul>
 *   <li>line 0: {@code [n, Σy, Σy_base, epoch, ‖u‖, 0, 0, 0]}: the exact sums, the decay epoch (0
 *       without decay), and the Euclidean norm of u as the bits of a double;
 *   <li>then ⌈d/8⌉ longs of u, the bucket's key direction Σh rounded to 8 bits ({@code u_i =
 *       round(127·Σh_i / max_j |Σh_j|)}, computed in 48-bit fixed point; byte i of the
 *       little-endian longs);
 *   <li>then the exact key sums {@code Σh_0 … Σh_{d−1}}.
 * </ul>
 *
 * The sums are in the fixed point of {@link FixedPoint} (2^20 units per 1.0): n is the (weighted)
 * sample count times 2^20. u and ‖u‖ are derived from Σh on every write, so they are as
 * order-independent as the sums. A read needs only the first two parts: the cosine to the query is
 * computed against u, in integers (the query rounded to {@link #queryScale} steps of its largest
 * component), so it is exact and the same on every JVM; u's rounding moves a cosine by about 10^-3,
 * far below what separates neighbours. Writes keep the sums exact.
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
  static final int EPOCH = 3;
  static final int DIRECTION_NORM = 4;
  static final int DIRECTION = 8;
  static final int LONGS_PER_LINE = 8;
  private static final int DIRECTION_MAX = 127;
  private static final int DIRECTION_SHIFT = 48;

  final SketchSettings settings;
  final int arrays;
  final int bits;
  final int dimension;

  /** Longs per bucket. */
  final int stride;

  /** Index of the first exact key sum in a bucket. */
  final int keys;

  /** Longs a read needs from the start of a bucket: the counts and the rounded direction. */
  final int readLongs;

  private final boolean decays;
  private final int queryScale;

  private final long halfLifeMs;
  private final SrpHash hash;

  // Scratch space, so the hot paths never allocate: the writer's own, and one per reading thread,
  // so that reads may overlap each other (never a write).
  private final Scratch writer;
  private final ThreadLocal<Scratch> readers;
  private final long[][] updated;
  private final long[] contribution;
  private final long[] previousCount;

  long samples;
  long bucketsInUse;
  private boolean closed;

  SketchMemory(SketchSettings settings) {
    this.settings = settings;
    this.arrays = settings.arrays();
    this.bits = settings.bits();
    this.dimension = settings.dimension();
    this.stride = stride(settings);
    this.keys = keysOffset(dimension);
    this.readLongs = keys;
    this.decays = settings.decays();
    this.queryScale = queryScale(dimension);
    this.halfLifeMs = settings.halfLifeMs();
    this.hash = SrpHash.of(settings);
    this.writer = new Scratch();
    this.readers = ThreadLocal.withInitial(Scratch::new);
    this.updated = new long[arrays][stride];
    this.contribution = new long[stride];
    this.previousCount = new long[arrays];
  }

  /** What one thread's hashing, loading and reading reuse from call to call. */
  private final class Scratch {
    final int[] buckets = new int[arrays];
    final long[] indices = new long[arrays];
    final SrpHash.Workspace workspace = hash.newWorkspace();
    final long[] loaded = new long[stride];
    // Whole longs of u: the padding bytes are zero in u and in the query, so loops need no tail.
    final int[] queryUnits = new int[(keys - DIRECTION) * Long.BYTES];
    final double[] similarity = new double[arrays];
    final double[] labelMean = new double[arrays];
    final double[] baseMean = new double[arrays];

    /** What prefetching loaded, kept so the JIT cannot drop the loads. */
    long touched;

    private int[][] batchBuckets = new int[0][];

    /** Rows for the buckets of at least {@code queries} queries, reused by later batches. */
    int[][] batchBuckets(int queries) {
      if (batchBuckets.length < queries) {
        batchBuckets = new int[queries][arrays];
      }
      return batchBuckets;
    }
  }

  /** Longs per bucket for these settings: a line of counts, u, then Σh, rounded up to a line. */
  public static int stride(SketchSettings settings) {
    return wholeLines(keysOffset(settings.dimension()) + settings.dimension());
  }

  /** {@code longs} rounded up to whole 64-byte lines. */
  static int wholeLines(int longs) {
    return (longs + LONGS_PER_LINE - 1) / LONGS_PER_LINE * LONGS_PER_LINE;
  }

  private static int keysOffset(int dimension) {
    return DIRECTION + (dimension + Long.BYTES - 1) / Long.BYTES;
  }

  /**
   * Steps of the query's largest component: as fine as 2^15, and coarse enough that a dot product
   * with u (|u_i| ≤ 127) cannot overflow an int.
   */
  private static int queryScale(int dimension) {
    return (int) Math.min(1 << 15, Integer.MAX_VALUE / ((long) DIRECTION_MAX * dimension));
  }

  /**
   * The array holding bucket {@code index} at {@link #bucketOffset}: either the backing array or
   * {@code scratch} (length {@link #stride}) filled with a copy. Absent buckets read as zeros.
   */
  abstract long[] loadBucket(long index, long[] scratch);

  /** Where {@link #loadBucket} placed the bucket in the array it returned. */
  abstract int bucketOffset(long index);

  /**
   * Like {@link #loadBucket}, but only the first {@code longs} of the bucket need be loaded; at
   * {@link #bucketOffset}. Layouts that cannot load part of a bucket load all of it.
   */
  long[] loadPrefix(long index, int longs, long[] scratch) {
    return loadBucket(index, scratch);
  }

  /** Replaces bucket {@code index} with {@code values} (length {@link #stride}). */
  abstract void storeBucket(long index, long[] values);

  /**
   * Touches every cache line of the first {@code longs} of the buckets about to be used, so their
   * cache and TLB misses overlap instead of arriving one bucket at a time. Layouts without direct
   * access do nothing. Returns what it loaded, for the caller to keep so the loads stay.
   */
  long prefetch(long[] indices, int count, int longs) {
    return 0;
  }

  /** Releases storage; called once, by the first {@link #close}. */
  abstract void release();

  /** Calls {@code visitor} for every bucket that may be non-zero; layouts may skip empty ones. */
  void forEachBucket(BucketVisitor visitor) {
    long total = totalBuckets();
    for (long index = 0; index < total; index++) {
      long[] values = loadBucket(index, writer.loaded);
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
    long[] indices = writer.indices;
    hashIndices(key, stride, writer);
    long sampleEpoch = FixedPoint.epoch(sample.timestamp(), halfLifeMs);
    double unit = FixedPoint.unit(sample.timestamp(), halfLifeMs);
    contribution[COUNT] = Math.round(unit);
    contribution[LABELS] = Math.round(sample.label() * unit);
    contribution[BASES] = Math.round(sample.baseScore() * unit);
    for (int i = 0; i < dimension; i++) {
      contribution[keys + i] = Math.round(key[i] * unit);
    }
    // All K new buckets are computed before any is stored, so a write that would overflow is
    // rejected whole: a half-applied sample would be counted again by a retry.
    for (int k = 0; k < arrays; k++) {
      long index = indices[k];
      long[] old = loadBucket(index, writer.loaded);
      int off = bucketOffset(index);
      long[] next = updated[k];
      previousCount[k] = old[off + COUNT];
      long oldShift = 0;
      long sampleShift = 0;
      if (decays) {
        long bucketEpoch = old[off + EPOCH];
        if (sampleEpoch > bucketEpoch) {
          oldShift = FixedPoint.epochShift(bucketEpoch, sampleEpoch);
          next[EPOCH] = sampleEpoch;
        } else {
          sampleShift = FixedPoint.epochShift(sampleEpoch, bucketEpoch);
          next[EPOCH] = bucketEpoch;
        }
      }
      try {
        addSums(old, off, next, COUNT, BASES + 1, oldShift, sampleShift);
        long largest = addSums(old, off, next, keys, keys + dimension, oldShift, sampleShift);
        deriveDirection(next, largest);
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

  /**
   * next[f] = old[f] + contribution[f] for f in [from, to), each in the newer epoch; returns the
   * largest |next[f]| (sums stay far inside ±2^63, so the absolute value never overflows).
   */
  private long addSums(
      long[] old, int off, long[] next, int from, int to, long oldShift, long sampleShift) {
    long largest = 0;
    if (oldShift == 0 && sampleShift == 0) {
      for (int f = from; f < to; f++) {
        next[f] = Math.addExact(old[off + f], contribution[f]);
        largest = Math.max(largest, Math.abs(next[f]));
      }
    } else {
      for (int f = from; f < to; f++) {
        next[f] =
            Math.addExact(
                FixedPoint.shiftFloor(old[off + f], oldShift),
                FixedPoint.shiftFloor(contribution[f], sampleShift));
        largest = Math.max(largest, Math.abs(next[f]));
      }
    }
    return largest;
  }

  /**
   * Sets u and ‖u‖ from the exact key sums of {@code bucket}, whose largest absolute value is
   * {@code largest}: a function of Σh alone.
   */
  private void deriveDirection(long[] bucket, long largest) {
    int squares = 0;
    for (int j = DIRECTION; j < keys; j++) {
      bucket[j] = 0;
    }
    if (largest > 0) {
      // u_i = round(127·Σh_i / largest) in integers: one division per bucket, not d; the scaled
      // product stays below 2^55 because |Σh_i| <= largest.
      long scale = ((long) DIRECTION_MAX << DIRECTION_SHIFT) / largest;
      long half = 1L << (DIRECTION_SHIFT - 1);
      for (int i = 0; i < dimension; i++) {
        int u = (int) ((bucket[keys + i] * scale + half) >> DIRECTION_SHIFT);
        bucket[DIRECTION + i / Long.BYTES] |= (u & 0xFFL) << (i % Long.BYTES * Byte.SIZE);
        squares += u * u;
      }
    }
    bucket[DIRECTION_NORM] = Double.doubleToRawLongBits(Math.sqrt(squares));
  }

  @Override
  public final Readout read(float[] query, double baseScore, long timestamp) {
    checkOpen();
    Keys.checkQuery(query, dimension, baseScore);
    Scratch scratch = readers.get();
    hash.buckets(query, scratch.buckets, scratch.workspace);
    return readHashed(query, scratch.buckets, baseScore, timestamp, scratch);
  }

  @Override
  public final void readAll(
      float[][] queries, double[] baseScores, long[] timestamps, Readout[] out) {
    checkOpen();
    for (int j = 0; j < queries.length; j++) {
      Keys.checkQuery(queries[j], dimension, baseScores[j]);
    }
    Scratch scratch = readers.get();
    int[][] buckets = scratch.batchBuckets(queries.length);
    hash.buckets(queries, queries.length, buckets, scratch.workspace);
    for (int j = 0; j < queries.length; j++) {
      out[j] = readHashed(queries[j], buckets[j], baseScores[j], timestamps[j], scratch);
    }
  }

  /** The read of a query whose K buckets are {@code buckets}. */
  private Readout readHashed(
      float[] query, int[] buckets, double baseScore, long timestamp, Scratch scratch) {
    long[] indices = scratch.indices;
    double[] similarity = scratch.similarity;
    double[] labelMean = scratch.labelMean;
    double[] baseMean = scratch.baseMean;
    for (int k = 0; k < arrays; k++) {
      indices[k] = bucketIndex(k, buckets[k]);
    }
    scratch.touched = prefetch(indices, arrays, readLongs);
    double queryNorm = roundQuery(query, scratch.queryUnits);
    double minUnits = settings.nMin() * FixedPoint.ONE;
    long factorEpoch = Long.MIN_VALUE;
    double factor = 1.0;
    int used = 0;
    for (int k = 0; k < arrays; k++) {
      long index = indices[k];
      long[] values = loadPrefix(index, readLongs, scratch.loaded);
      int off = bucketOffset(index);
      long n = values[off + COUNT];
      if (n <= 0) {
        continue;
      }
      if (decays) {
        long epoch = values[off + EPOCH];
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
      double norm = Double.longBitsToDouble(values[off + DIRECTION_NORM]);
      if (norm > 0 && queryNorm > 0) {
        similarity[used] =
            dot(values, off + DIRECTION, keys - DIRECTION, scratch.queryUnits) / (queryNorm * norm);
      } else {
        similarity[used] = 0.0;
      }
      labelMean[used] = values[off + LABELS] / (double) n;
      baseMean[used] = values[off + BASES] / (double) n;
      used++;
    }
    return CompensationFormula.combine(settings, baseScore, used, similarity, labelMean, baseMean);
  }

  /**
   * Rounds the query to {@link #queryScale} steps of its largest component, into {@code
   * queryUnits}; returns the rounded query's norm (0 for a zero query).
   */
  private double roundQuery(float[] query, int[] queryUnits) {
    float largest = 0;
    for (int i = 0; i < dimension; i++) {
      largest = Math.max(largest, Math.abs(query[i]));
    }
    if (largest == 0) {
      Arrays.fill(queryUnits, 0);
      return 0;
    }
    double step = queryScale / (double) largest;
    long squares = 0;
    for (int i = 0; i < dimension; i++) {
      int q = (int) Math.round(query[i] * step);
      queryUnits[i] = q;
      squares += (long) q * q;
    }
    return Math.sqrt(squares);
  }

  /**
   * u·q for the rounded direction u packed in {@code words} longs from {@code values[from]} (byte i
   * of the little-endian longs is u_i): exact, in integers, so the order of the sum is free. The
   * bytes are taken from the longs in registers, eight independent products per word, rather than
   * copied to a byte array: Java 17's JIT does not vectorize byte × int, and one chain of adds
   * would serialize the loop.
   */
  private static int dot(long[] values, int from, int words, int[] q) {
    int sum = 0;
    for (int w = 0; w < words; w++) {
      long u = values[from + w];
      int i = w * Long.BYTES;
      sum +=
          ((byte) u * q[i] + (byte) (u >> 8) * q[i + 1])
              + ((byte) (u >> 16) * q[i + 2] + (byte) (u >> 24) * q[i + 3])
              + (((byte) (u >> 32) * q[i + 4] + (byte) (u >> 40) * q[i + 5])
                  + ((byte) (u >> 48) * q[i + 6] + (byte) (u >> 56) * q[i + 7]));
    }
    return sum;
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
    long[] values = loadBucket(index, writer.loaded);
    System.arraycopy(values, bucketOffset(index), out, 0, stride);
  }

  /** The sample weight of bucket {@code index} at event time {@code timestamp}. */
  public final double bucketWeight(long index, long timestamp) {
    checkOpen();
    checkIndex(index);
    long[] values = loadBucket(index, writer.loaded);
    int off = bucketOffset(index);
    double factor =
        decays ? FixedPoint.decayFactor(values[off + EPOCH], timestamp, halfLifeMs) : 1.0;
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

  @Override
  public final void discard() {
    abandon();
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

  /**
   * Hashes {@code key} into the K bucket indices and starts fetching the first {@code longs} of
   * those buckets.
   */
  private void hashIndices(float[] key, int longs, Scratch scratch) {
    hash.buckets(key, scratch.buckets, scratch.workspace);
    for (int k = 0; k < arrays; k++) {
      scratch.indices[k] = bucketIndex(k, scratch.buckets[k]);
    }
    scratch.touched = prefetch(scratch.indices, arrays, longs);
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
