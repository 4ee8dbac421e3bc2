package io.hindsight.memory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The exact oracle: a bounded ring of the most recent {@code capacity} samples (in write order),
 * read by exact top-K cosine search and the same attention and formula as the sketch; one writer,
 * and reads that take turns (they share one scratch space). Used in tests and replay reports to
 * measure what the sketch loses.
 *
 * <p>Each neighbour is one sample: its label and base score are the ȳ_k and ȳbase_k of the formula.
 * Samples whose (decayed) weight is below nMin are not candidates; K = {@link
 * SketchSettings#arrays()}. Ties in similarity are broken by the samples' contents, so any order of
 * the same writes gives the same readout while the ring has not overflowed.
 */
public final class ExactKnnMemory implements ErrorMemory {

  /** Samples whose sums {@link #cosines} keeps in the L1 cache at once (4 KiB of doubles). */
  private static final int COSINE_BLOCK = 512;

  private final SketchSettings settings;
  private final int capacity;
  private final int dimension;

  /** Component i of the sample in slot s at {@code i * capacity + s}. */
  private final float[] keys;

  private final double[] norms;
  private final double[] labels;
  private final double[] bases;
  private final long[] timestamps;
  private final long[] identities;
  private int next;
  private int size;
  private long samples;
  private boolean closed;

  // Read scratch: a min-heap of the best K candidates, worst at the root.
  private final int[] heap;
  private final double[] heapSimilarity;
  private final double[] similarity;
  private final double[] labelMean;
  private final double[] baseMean;
  private final double[] cosines;

  public ExactKnnMemory(SketchSettings settings, int capacity) {
    if (capacity < 1 || (long) capacity * settings.dimension() > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(
          "ExactKnnMemory.capacity must be >= 1 and capacity * dimension < 2^31, was " + capacity);
    }
    this.settings = settings;
    this.capacity = capacity;
    this.dimension = settings.dimension();
    this.keys = new float[capacity * dimension];
    this.norms = new double[capacity];
    this.labels = new double[capacity];
    this.bases = new double[capacity];
    this.timestamps = new long[capacity];
    this.identities = new long[capacity];
    int k = settings.arrays();
    this.heap = new int[k];
    this.heapSimilarity = new double[k];
    this.similarity = new double[k];
    this.labelMean = new double[k];
    this.baseMean = new double[k];
    this.cosines = new double[capacity];
  }

  /** The number of most recent samples kept. */
  public int capacity() {
    return capacity;
  }

  @Override
  public SketchSettings settings() {
    return settings;
  }

  @Override
  public void write(LabelledSample sample) {
    checkOpen();
    float[] key = sample.key();
    Keys.checkWritable(key, dimension);
    if (!Keys.passesThreshold(settings, sample.label(), sample.baseScore())) {
      return;
    }
    int slot = next;
    for (int i = 0; i < dimension; i++) {
      keys[i * capacity + slot] = key[i];
    }
    double norm2 = 0;
    for (float x : key) {
      norm2 += (double) x * x;
    }
    norms[slot] = Math.sqrt(norm2);
    labels[slot] = sample.label();
    bases[slot] = sample.baseScore();
    timestamps[slot] = sample.timestamp();
    identities[slot] = identity(sample);
    next = (next + 1) % capacity;
    size = Math.min(size + 1, capacity);
    samples++;
  }

  @Override
  public synchronized Readout read(float[] query, double baseScore, long timestamp) {
    checkOpen();
    double queryNorm = Keys.checkQuery(query, dimension, baseScore);
    int k = settings.arrays();
    double nMin = settings.nMin();
    long halfLife = settings.halfLifeMs();
    int found = 0;
    cosines(query, queryNorm);
    boolean everyCandidate = halfLife == 0 && 1.0 >= nMin;
    double floor = everyCandidate ? floor(k) : Double.NEGATIVE_INFINITY;
    for (int slot = 0; slot < size; slot++) {
      double s = cosines[slot];
      if (s < floor) {
        continue;
      }
      double weight =
          halfLife == 0
              ? 1.0
              : StrictMath.pow(2.0, (double) (timestamps[slot] - timestamp) / halfLife);
      if (weight < nMin) {
        continue;
      }
      if (found < k) {
        heap[found] = slot;
        heapSimilarity[found] = s;
        siftUp(found);
        found++;
      } else if (better(s, slot, heapSimilarity[0], heap[0])) {
        heap[0] = slot;
        heapSimilarity[0] = s;
        siftDown(found);
      }
    }
    // A canonical order (best first) makes the floating-point sums of the softmax, and so the
    // readout, independent of the order in which the samples were written.
    for (int i = 1; i < found; i++) {
      for (int j = i;
          j > 0 && better(heapSimilarity[j], heap[j], heapSimilarity[j - 1], heap[j - 1]);
          j--) {
        swap(j, j - 1);
      }
    }
    for (int i = 0; i < found; i++) {
      similarity[i] = heapSimilarity[i];
      labelMean[i] = labels[heap[i]];
      baseMean[i] = bases[heap[i]];
    }
    return CompensationFormula.combine(settings, baseScore, found, similarity, labelMean, baseMean);
  }

  /**
   * A similarity that at least {@code k} of the samples held reach, so that no sample below it can
   * be among the {@code k} nearest: the smallest of the maxima of {@code k} disjoint runs of slots.
   * Skipping those samples spares the heap almost every replacement and leaves its result as it
   * was.
   */
  private double floor(int k) {
    if (size < 2 * k) {
      return Double.NEGATIVE_INFINITY;
    }
    double floor = Double.POSITIVE_INFINITY;
    for (int run = 0; run < k; run++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int slot = run * size / k, end = (run + 1) * size / k; slot < end; slot++) {
        max = Math.max(max, cosines[slot]);
      }
      floor = Math.min(floor, max);
    }
    return floor;
  }

  /**
   * The cosine of the query with every sample held, into {@link #cosines}. Keys are stored one
   * dimension after another, so each step adds one term to a block of samples' sums in a loop the
   * JIT vectorizes, while the block's sums stay in the L1 cache; each sum still adds its terms in
   * dimension order, so every cosine is exactly the one-sample-at-a-time value. Dimensions where
   * the query is zero add only zeros and are skipped: that can change no more than the sign of a
   * zero sum, which no comparison or exponential tells apart.
   */
  private void cosines(float[] query, double queryNorm) {
    double[] dots = cosines;
    for (int from = 0; from < size; from += COSINE_BLOCK) {
      int to = Math.min(size, from + COSINE_BLOCK);
      Arrays.fill(dots, from, to, 0.0);
      for (int i = 0; i < dimension; i++) {
        double q = query[i];
        if (q == 0) {
          continue;
        }
        int base = i * capacity;
        for (int slot = from; slot < to; slot++) {
          dots[slot] += q * keys[base + slot];
        }
      }
    }
    for (int slot = 0; slot < size; slot++) {
      dots[slot] = cosine(dots[slot], queryNorm, slot);
    }
  }

  private double cosine(double dot, double queryNorm, int slot) {
    double norm = norms[slot];
    if (norm == 0 || queryNorm == 0) {
      return 0.0;
    }
    return dot / (queryNorm * norm);
  }

  /** Whether candidate (s, slot) ranks above (t, other): higher similarity, then content. */
  private boolean better(double s, int slot, double t, int other) {
    if (s != t) {
      return s > t;
    }
    return identities[slot] < identities[other];
  }

  private void siftUp(int i) {
    while (i > 0) {
      int parent = (i - 1) / 2;
      if (!better(heapSimilarity[parent], heap[parent], heapSimilarity[i], heap[i])) {
        return;
      }
      swap(i, parent);
      i = parent;
    }
  }

  private void siftDown(int n) {
    int i = 0;
    while (true) {
      int worst = i;
      int left = 2 * i + 1;
      int right = left + 1;
      if (left < n
          && better(heapSimilarity[worst], heap[worst], heapSimilarity[left], heap[left])) {
        worst = left;
      }
      if (right < n
          && better(heapSimilarity[worst], heap[worst], heapSimilarity[right], heap[right])) {
        worst = right;
      }
      if (worst == i) {
        return;
      }
      swap(i, worst);
      i = worst;
    }
  }

  private void swap(int a, int b) {
    int slot = heap[a];
    heap[a] = heap[b];
    heap[b] = slot;
    double s = heapSimilarity[a];
    heapSimilarity[a] = heapSimilarity[b];
    heapSimilarity[b] = s;
  }

  @Override
  public long samples() {
    checkOpen();
    return samples;
  }

  /** The number of samples held (at most {@link #capacity()}). */
  @Override
  public long bucketsInUse() {
    checkOpen();
    return size;
  }

  /** A hash of the multiset of samples held: the sum of per-sample hashes, order-independent. */
  @Override
  public long contentHash() {
    checkOpen();
    long total = 0;
    for (int slot = 0; slot < size; slot++) {
      total += identities[slot];
    }
    return total;
  }

  /** Whether {@code other} is an exact memory holding the same multiset of samples. */
  @Override
  public boolean sameContents(ErrorMemory other) {
    checkOpen();
    if (!(SynchronizedErrorMemory.unwrap(other) instanceof ExactKnnMemory that)
        || that.dimension != dimension
        || that.size != size) {
      return false;
    }
    return held().equals(that.held());
  }

  /** The samples held, in a canonical order. */
  private List<LabelledSample> held() {
    List<LabelledSample> held = new ArrayList<>(size);
    for (int slot = 0; slot < size; slot++) {
      float[] key = new float[dimension];
      for (int i = 0; i < dimension; i++) {
        key[i] = keys[i * capacity + slot];
      }
      held.add(new LabelledSample(key, labels[slot], bases[slot], timestamps[slot]));
    }
    held.sort(
        Comparator.comparingLong(LabelledSample::timestamp)
            .thenComparingDouble(LabelledSample::label)
            .thenComparingDouble(LabelledSample::baseScore)
            .thenComparing(LabelledSample::key, Arrays::compare));
    return held;
  }

  @Override
  public void close() {
    closed = true;
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("ExactKnnMemory is closed");
    }
  }

  private static long identity(LabelledSample sample) {
    long h = 0x243f6a8885a308d3L;
    for (float x : sample.key()) {
      h = mix(h ^ Float.floatToIntBits(x));
    }
    h = mix(h ^ Double.doubleToLongBits(sample.label()));
    h = mix(h ^ Double.doubleToLongBits(sample.baseScore()));
    return mix(h ^ sample.timestamp());
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
