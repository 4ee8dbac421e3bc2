package io.hindsight.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** What every sketch layout adds to the contract: buckets, fixed point and decay. */
abstract class SketchMemoryContract extends ErrorMemoryContract {

  @Override
  protected abstract SketchMemory newMemory(SketchSettings settings);

  SketchMemory sketch(SketchSettings settings) {
    return (SketchMemory) memory(settings);
  }

  /**
   * Brute force: the samples that hash to the query's bucket in array k, summed in doubles, with
   * the cosine of the bucket's direction rounded to 8 bits and the query rounded to 2^15 steps, as
   * the class documentation of {@link SketchMemory} specifies.
   */
  @Override
  protected List<Neighbour> referenceNeighbours(
      SketchSettings s, List<LabelledSample> written, float[] query, long timestamp) {
    return neighbours(s, written, query, timestamp, true);
  }

  private static List<Neighbour> neighbours(
      SketchSettings s,
      List<LabelledSample> written,
      float[] query,
      long timestamp,
      boolean rounded) {
    SrpHash hash = SrpHash.of(s);
    List<Neighbour> neighbours = new ArrayList<>();
    for (int k = 0; k < s.arrays(); k++) {
      int bucket = hash.bucket(k, query);
      double n = 0;
      double labels = 0;
      double bases = 0;
      double[] keys = new double[s.dimension()];
      for (LabelledSample sample : written) {
        if (hash.bucket(k, sample.key()) != bucket) {
          continue;
        }
        double w = weight(s, sample.timestamp(), timestamp);
        n += w;
        labels += w * sample.label();
        bases += w * sample.baseScore();
        for (int i = 0; i < keys.length; i++) {
          keys[i] += w * sample.key()[i];
        }
      }
      if (n > 0 && n >= s.nMin()) {
        double similarity = rounded ? roundedCosine(query, keys) : cosine(query, keys);
        neighbours.add(new Neighbour(similarity, labels / n, bases / n));
      }
    }
    return neighbours;
  }

  static double roundedCosine(float[] query, double[] keys) {
    double largestKey = 0;
    double largestQuery = 0;
    for (int i = 0; i < keys.length; i++) {
      largestKey = Math.max(largestKey, Math.abs(keys[i]));
      largestQuery = Math.max(largestQuery, Math.abs(query[i]));
    }
    double[] u = new double[keys.length];
    double[] q = new double[keys.length];
    for (int i = 0; i < keys.length; i++) {
      u[i] = largestKey == 0 ? 0 : Math.round(127 * keys[i] / largestKey);
      q[i] = largestQuery == 0 ? 0 : Math.round((1 << 15) * query[i] / largestQuery);
    }
    return cosine(q, u);
  }

  static double cosine(double[] a, double[] b) {
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += a[i] * b[i];
      na += a[i] * a[i];
      nb += b[i] * b[i];
    }
    return na == 0 || nb == 0 ? 0 : dot / Math.sqrt(na * nb);
  }

  @ParameterizedTest
  @MethodSource("formulaSettings")
  void shouldStayCloseToTheUnroundedCosine(SketchSettings s) {
    SplittableRandom random = new SplittableRandom(s.hashCode() + 1);
    List<LabelledSample> samples = TestData.clustered(random, 300, s.dimension(), 4, 0, 20_000);
    ErrorMemory m = memory(s);
    samples.forEach(m::write);
    for (int q = 0; q < 20; q++) {
      float[] query = samples.get(random.nextInt(samples.size())).key().clone();
      query[q % s.dimension()] += 0.2f;
      double base = random.nextDouble();
      long t = 20_000 + random.nextLong(5_000);
      Readout unrounded = referenceRead(s, neighbours(s, samples, query, t, false), base);
      // The rounding moves a cosine by ~1e-3; through softmax(s/τ) the score moves by less.
      assertThat(m.read(query, base, t).compensatedScore())
          .isCloseTo(unrounded.compensatedScore(), within(5e-3));
    }
  }

  @Test
  void shouldFillOneBucketPerArrayForOneKey() {
    SketchMemory m = sketch(small());
    m.write(new LabelledSample(TestData.gaussian(new SplittableRandom(1), 8), 1, 0.5, 0));
    assertThat(m.bucketsInUse()).isEqualTo(16);
  }

  @Test
  void shouldUseEveryArrayOnceABucketReachesNMin() {
    SketchMemory m = sketch(small().withNMin(2));
    float[] key = TestData.gaussian(new SplittableRandom(2), 8);
    m.write(new LabelledSample(key, 1, 0.5, 0));
    assertThat(m.read(key, 0.5, 0).evidence()).isZero();
    m.write(new LabelledSample(key, 0, 0.5, 0));
    assertThat(m.read(key, 0.5, 0).evidence()).isEqualTo(16);
  }

  @Test
  void shouldStoreExactFixedPointSums() {
    SketchSettings s = new SketchSettings(2, 2, 2, 5, 0.1, 0.5, 1, 1, 0, 0);
    SketchMemory m = sketch(s);
    float[] key = {0.5f, -0.25f};
    m.write(new LabelledSample(key, 1.0, 0.375, 0));
    m.write(new LabelledSample(key, 0.0, 0.125, 0));
    long[] bucket = new long[m.stride()];
    m.copyBucket(m.bucketIndex(1, m.hash().bucket(1, key)), bucket);
    long one = 1L << 20;
    assertThat(bucket[SketchMemory.COUNT]).isEqualTo(2 * one);
    assertThat(bucket[SketchMemory.LABELS]).isEqualTo(one);
    assertThat(bucket[SketchMemory.BASES]).isEqualTo(one / 2);
    assertThat(Arrays.copyOfRange(bucket, m.keys, m.keys + 2)).containsExactly(one, -one / 2);
    // u = round(127 · Σh / max |Σh|) = (127, round(-63.5) = -63), bytes 0 and 1 of the direction's
    // first long.
    assertThat(bucket[SketchMemory.DIRECTION]).isEqualTo(127L | ((-63L & 0xFF) << 8));
    assertThat(Double.longBitsToDouble(bucket[SketchMemory.DIRECTION_NORM]))
        .isEqualTo(Math.sqrt(127 * 127 + 63 * 63));
  }

  /**
   * Dimensions where a bucket's read lines differ: one line of u or part of one (4, 8), exactly one
   * (64), and one more for a single component (65).
   */
  @ParameterizedTest
  @ValueSource(ints = {4, 8, 64, 65})
  void shouldHoldTheSameBucketsAndReadTheSameAsTheOnHeapLayout(int dimension) {
    SketchSettings s = new SketchSettings(16, 3, dimension, 99, 0.1, 0.5, 1.0, 1.0, 0.0, 10_000L);
    SplittableRandom random = new SplittableRandom(3);
    List<LabelledSample> samples = TestData.clustered(random, 300, dimension, 4, 0, 200_000);
    SketchMemory m = sketch(s);
    try (OnHeapSketchMemory reference = new OnHeapSketchMemory(s)) {
      samples.forEach(m::write);
      samples.forEach(reference::write);
      assertThat(m.sameContents(reference)).isTrue();
      assertThat(m.contentHash()).isEqualTo(reference.contentHash());
      assertThat(m.bucketsInUse()).isEqualTo(reference.bucketsInUse());
      for (int i = 0; i < 50; i++) {
        float[] query = TestData.gaussian(random, dimension);
        assertThat(m.read(query, 0.3, 200_000)).isEqualTo(reference.read(query, 0.3, 200_000));
      }
    }
  }

  @Test
  void shouldHalveABucketsWeightAfterEachHalfLife() {
    long halfLife = 1_000;
    SketchMemory m = sketch(small().withHalfLifeMs(halfLife));
    float[] key = TestData.gaussian(new SplittableRandom(4), 8);
    long t = 5_321;
    m.write(new LabelledSample(key, 1, 0.5, t));
    long index = m.bucketIndex(0, m.hash().bucket(0, key));

    assertThat(m.bucketWeight(index, t)).isCloseTo(1.0, within(1e-6));
    assertThat(m.bucketWeight(index, t + halfLife)).isCloseTo(0.5, within(1e-6));
    assertThat(m.bucketWeight(index, t + 2 * halfLife)).isCloseTo(0.25, within(1e-6));
    assertThat(m.bucketWeight(index, t + 10 * halfLife)).isCloseTo(1.0 / 1024, within(1e-6));
  }

  @Test
  void shouldKeepDecayedWeightsAcrossAnEpochBoundary() {
    long halfLife = 1_000;
    SketchMemory m = sketch(small().withHalfLifeMs(halfLife));
    float[] key = TestData.gaussian(new SplittableRandom(5), 8);
    // Epochs are 8 half-lives: the second write moves the bucket to the next epoch.
    m.write(new LabelledSample(key, 1, 0.5, 7_900));
    m.write(new LabelledSample(key, 0, 0.5, 8_100));
    long index = m.bucketIndex(3, m.hash().bucket(3, key));

    assertThat(m.bucketWeight(index, 8_100)).isCloseTo(1 + Math.pow(2, -0.2), within(1e-5));
    assertThat(m.bucketWeight(index, 9_100)).isCloseTo((1 + Math.pow(2, -0.2)) / 2, within(1e-5));
    Readout r = m.read(key, 0.5, 8_100);
    assertThat(r.meanLabel()).isCloseTo(Math.pow(2, -0.2) / (1 + Math.pow(2, -0.2)), within(1e-5));
  }

  @Test
  void shouldForgetBucketsWhoseWeightDecaysBelowNMin() {
    SketchMemory m = sketch(small().withHalfLifeMs(1_000));
    float[] key = TestData.gaussian(new SplittableRandom(6), 8);
    m.write(new LabelledSample(key, 1, 0.5, 0));
    assertThat(m.read(key, 0.5, 0).evidence()).isEqualTo(16);
    assertThat(m.read(key, 0.5, 1_000).evidence()).isZero();
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2})
  void shouldHoldIdenticalDecayedContentsForReorderingsWithinEpochs(long seed) {
    // Half-life 10 s: epochs are 80 s. Samples in 5 epochs, shuffled within each epoch only.
    SketchSettings s = small().withHalfLifeMs(10_000);
    List<LabelledSample> samples = new ArrayList<>();
    List<LabelledSample> shuffled = new ArrayList<>();
    SplittableRandom random = new SplittableRandom(seed);
    for (int epoch = 0; epoch < 5; epoch++) {
      List<LabelledSample> inEpoch = TestData.clustered(random, 100, 8, 3, epoch * 80_000L, 80_000);
      samples.addAll(inEpoch);
      List<LabelledSample> copy = new ArrayList<>(inEpoch);
      Collections.shuffle(copy, new Random(seed + epoch));
      shuffled.addAll(copy);
    }
    SketchMemory a = sketch(s);
    SketchMemory b = sketch(s);
    samples.forEach(a::write);
    shuffled.forEach(b::write);

    assertThat(a.contentHash()).isEqualTo(b.contentHash());
    assertThat(a.sameContents(b)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2})
  void shouldStayWithinTheStatedBoundForAnyOrderAcrossEpochs(long seed) {
    SketchSettings s = small().withHalfLifeMs(10_000);
    List<LabelledSample> samples =
        TestData.clustered(new SplittableRandom(seed), 500, 8, 3, 0, 400_000);
    List<LabelledSample> shuffled = new ArrayList<>(samples);
    Collections.shuffle(shuffled, new Random(seed));
    SketchMemory a = sketch(s);
    SketchMemory b = sketch(s);
    samples.forEach(a::write);
    shuffled.forEach(b::write);

    SrpHash hash = SrpHash.of(s);
    long[] x = new long[a.stride()];
    long[] y = new long[b.stride()];
    for (int k = 0; k < s.arrays(); k++) {
      for (int bucket = 0; bucket < 1 << s.bits(); bucket++) {
        long index = a.bucketIndex(k, bucket);
        a.copyBucket(index, x);
        b.copyBucket(index, y);
        int inBucket = 0;
        for (LabelledSample sample : samples) {
          inBucket += hash.bucket(k, sample.key()) == bucket ? 1 : 0;
        }
        // The bucket's epoch is the same; every field is within one unit per sample.
        assertThat(x[a.stride() - 1]).isEqualTo(y[a.stride() - 1]);
        for (int f = 0; f < a.stride() - 1; f++) {
          assertThat(Math.abs(x[f] - y[f])).isLessThanOrEqualTo(inBucket);
        }
      }
    }
    float[] query = samples.get(3).key();
    assertReadout(a.read(query, 0.5, 400_000), b.read(query, 0.5, 400_000));
  }

  @Test
  void shouldRejectAWriteThatWouldOverflowWithoutChangingAnything() {
    // One bucket, the largest key component, late in an epoch (weight ≈ 2^8): each write adds
    // ≈ 2^48 units, so a long overflows after about 2^15 writes.
    SketchSettings s = new SketchSettings(2, 1, 1, 1, 0.1, 0.5, 1, 1, 0, 1_000);
    SketchMemory m = sketch(s);
    LabelledSample sample = new LabelledSample(new float[] {1 << 20}, 1, 1, 7_999);
    long written = 0;
    long hashBefore = 0;
    boolean overflowed = false;
    while (written < 100_000) {
      hashBefore = m.contentHash();
      try {
        m.write(sample);
      } catch (ArithmeticException e) {
        overflowed = true;
        break;
      }
      written++;
    }
    assertThat(overflowed).isTrue();
    assertThat(written).isGreaterThan(30_000);
    assertThat(m.samples()).isEqualTo(written);
    assertThat(m.contentHash()).isEqualTo(hashBefore);
    assertThatThrownBy(() -> m.write(sample)).isInstanceOf(ArithmeticException.class);
  }
}
