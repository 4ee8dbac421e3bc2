package io.hindsight.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The contract every {@link ErrorMemory} passes: design.md §2's read formula, order independence,
 * argument checks and lifecycle. Subclasses say how to create a memory and what its neighbours of a
 * query are by brute force.
 */
abstract class ErrorMemoryContract {

  static final double TOLERANCE = 1e-5;

  @TempDir Path directory;

  private final List<ErrorMemory> opened = new ArrayList<>();
  private int files;

  /** A new, empty memory; each call gives an independent one. */
  protected abstract ErrorMemory newMemory(SketchSettings settings);

  /**
   * The pseudo-neighbours design.md §2 defines for {@code query} after {@code written}, computed
   * directly from the samples in double precision.
   */
  protected abstract List<Neighbour> referenceNeighbours(
      SketchSettings settings, List<LabelledSample> written, float[] query, long timestamp);

  record Neighbour(double similarity, double labelMean, double baseMean) {}

  /** A fresh path inside the test's temporary directory, for persisted memories. */
  Path newFile() {
    return directory.resolve("memory-" + files++);
  }

  ErrorMemory memory(SketchSettings settings) {
    ErrorMemory memory = newMemory(settings);
    opened.add(memory);
    return memory;
  }

  @AfterEach
  void closeMemories() {
    opened.forEach(ErrorMemory::close);
  }

  static SketchSettings small() {
    return new SketchSettings(16, 3, 8, 99, 0.1, 0.5, 1.0, 1.0, 0.0, 0L);
  }

  /** design.md §2, written as plainly as possible. */
  static Readout referenceRead(SketchSettings s, List<Neighbour> neighbours, double base) {
    if (neighbours.isEmpty()) {
      return new Readout(base, 0, base, base, 0);
    }
    double z = 0;
    for (Neighbour n : neighbours) {
      z += Math.exp(n.similarity() / s.tau());
    }
    double label = 0;
    double baseMean = 0;
    for (Neighbour n : neighbours) {
      double a = Math.exp(n.similarity() / s.tau()) / z;
      label += a * n.labelMean();
      baseMean += a * n.baseMean();
    }
    double error = s.gamma() * (label - base) + (1 - s.gamma()) * (label - baseMean);
    double compensated = Math.max(0, Math.min(1, base + s.lambda() * error));
    return new Readout(compensated, error, label, baseMean, neighbours.size());
  }

  static double cosine(float[] a, double[] b) {
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += a[i] * b[i];
      na += (double) a[i] * a[i];
      nb += b[i] * b[i];
    }
    return na == 0 || nb == 0 ? 0 : dot / Math.sqrt(na * nb);
  }

  static double weight(SketchSettings s, long sampleTime, long readTime) {
    return s.halfLifeMs() == 0
        ? 1.0
        : Math.pow(2, (double) (sampleTime - readTime) / s.halfLifeMs());
  }

  static void assertReadout(Readout actual, Readout expected) {
    assertThat(actual.evidence()).isEqualTo(expected.evidence());
    assertThat(actual.compensatedScore()).isCloseTo(expected.compensatedScore(), within(TOLERANCE));
    assertThat(actual.errorEstimate()).isCloseTo(expected.errorEstimate(), within(TOLERANCE));
    assertThat(actual.meanLabel()).isCloseTo(expected.meanLabel(), within(TOLERANCE));
    assertThat(actual.meanBase()).isCloseTo(expected.meanBase(), within(TOLERANCE));
  }

  @Test
  void shouldMatchAHandComputedCase() {
    // Two samples with the same key share a bucket in every array (and are both neighbours):
    // ȳ = 0.5, ȳ_base = 0.25; with y_base = 0.3, γ = 0.5, λ = 0.5:
    // y_err = 0.5·(0.5 − 0.3) + 0.5·(0.5 − 0.25) = 0.225, compensated = 0.3 + 0.5·0.225 = 0.4125.
    SketchSettings s = new SketchSettings(4, 4, 2, 1, 0.1, 0.5, 0.5, 1.0, 0.0, 0L);
    ErrorMemory m = memory(s);
    m.write(new LabelledSample(new float[] {1, 0}, 1.0, 0.2, 10));
    m.write(new LabelledSample(new float[] {1, 0}, 0.0, 0.3, 20));

    Readout r = m.read(new float[] {1, 0}, 0.3, 30);

    assertThat(r.meanLabel()).isCloseTo(0.5, within(1e-9));
    assertThat(r.meanBase()).isCloseTo(0.25, within(1e-9));
    assertThat(r.errorEstimate()).isCloseTo(0.225, within(1e-9));
    assertThat(r.compensatedScore()).isCloseTo(0.4125, within(1e-9));
    assertThat(r.evidence()).isPositive();
  }

  static Stream<SketchSettings> formulaSettings() {
    return Stream.of(
        small(),
        small().withGamma(0.3).withTau(0.5).withLambda(0.9),
        small().withGamma(0).withNMin(3).withTau(0.05),
        small().withArrays(5).withBits(2).withLambda(2.0),
        small().withHalfLifeMs(4_000).withNMin(0.5));
  }

  @ParameterizedTest
  @MethodSource("formulaSettings")
  void shouldMatchADirectComputationOfTheFormulas(SketchSettings s) {
    SplittableRandom random = new SplittableRandom(s.hashCode());
    List<LabelledSample> samples = TestData.clustered(random, 300, s.dimension(), 4, 0, 20_000);
    ErrorMemory m = memory(s);
    samples.forEach(m::write);

    for (int q = 0; q < 20; q++) {
      float[] query = samples.get(random.nextInt(samples.size())).key().clone();
      query[q % s.dimension()] += 0.2f;
      double base = random.nextDouble();
      long t = 20_000 + random.nextLong(5_000);

      Readout expected = referenceRead(s, referenceNeighbours(s, samples, query, t), base);
      assertReadout(m.read(query, base, t), expected);
    }
  }

  @Test
  void shouldReturnTheBaseUnchangedWhenLambdaIsZero() {
    SketchSettings s = small().withLambda(0);
    ErrorMemory m = memory(s);
    SplittableRandom random = new SplittableRandom(2);
    List<LabelledSample> samples = TestData.clustered(random, 100, 8, 2, 0, 0);
    samples.forEach(m::write);
    for (LabelledSample sample : samples.subList(0, 20)) {
      double base = random.nextDouble();
      Readout r = m.read(sample.key(), base, 0);
      assertThat(r.compensatedScore()).isEqualTo(base);
      assertThat(r.evidence()).isPositive();
    }
  }

  @Test
  void shouldPassTheBaseThroughWithNoEvidenceWhenEmpty() {
    ErrorMemory m = memory(small());
    Readout r = m.read(TestData.gaussian(new SplittableRandom(1), 8), 0.37, 0);
    assertThat(r).isEqualTo(new Readout(0.37, 0, 0.37, 0.37, 0));
    assertThat(m.samples()).isZero();
    assertThat(m.bucketsInUse()).isZero();
  }

  @Test
  void shouldSkipNeighboursBelowNMin() {
    ErrorMemory m = memory(small().withNMin(2));
    float[] key = TestData.gaussian(new SplittableRandom(3), 8);
    m.write(new LabelledSample(key, 1, 0.1, 0));
    assertThat(m.read(key, 0.1, 0)).isEqualTo(Readout.passThrough(0.1));
  }

  @Test
  void shouldWriteOnlyErrorsAboveTheThreshold() {
    ErrorMemory m = memory(small().withErrorThreshold(0.3));
    float[] key = TestData.gaussian(new SplittableRandom(4), 8);
    m.write(new LabelledSample(key, 0.5, 0.3, 0));
    m.write(new LabelledSample(key, 0.0, 0.3, 0));
    assertThat(m.samples()).isZero();
    assertThat(m.read(key, 0.3, 0).evidence()).isZero();

    m.write(new LabelledSample(key, 1.0, 0.3, 0));
    assertThat(m.samples()).isOne();
    Readout r = m.read(key, 0.3, 0);
    assertThat(r.evidence()).isPositive();
    assertThat(r.meanLabel()).isCloseTo(1.0, within(1e-9));
  }

  @Test
  void shouldRejectAKeyOfTheWrongDimensionLeavingTheMemoryUnchanged() {
    ErrorMemory m = memory(small());
    m.write(new LabelledSample(new float[8], 1, 0.5, 0));
    long hash = m.contentHash();

    assertThatThrownBy(() -> m.write(new LabelledSample(new float[7], 1, 0.5, 0)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("dimension");
    assertThatThrownBy(() -> m.read(new float[9], 0.5, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("dimension");
    assertThat(m.samples()).isOne();
    assertThat(m.contentHash()).isEqualTo(hash);
  }

  @Test
  void shouldRejectNonFiniteOrHugeKeysAndBadScores() {
    ErrorMemory m = memory(small());
    float[] nan = new float[8];
    nan[3] = Float.NaN;
    float[] huge = new float[8];
    huge[0] = 1e7f;
    assertThatThrownBy(() -> m.write(new LabelledSample(nan, 1, 0.5, 0)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> m.write(new LabelledSample(huge, 1, 0.5, 0)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> m.read(nan, 0.5, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> m.read(new float[8], 1.5, 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(m.samples()).isZero();
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3})
  void shouldHoldIdenticalContentsForAnyOrderOfTheSameWrites(long seed) {
    SketchSettings s = small();
    List<LabelledSample> samples =
        TestData.clustered(new SplittableRandom(seed), 400, s.dimension(), 5, 0, 0);
    List<LabelledSample> shuffled = new ArrayList<>(samples);
    Collections.shuffle(shuffled, new Random(seed));
    ErrorMemory a = memory(s);
    ErrorMemory b = memory(s);
    samples.forEach(a::write);
    shuffled.forEach(b::write);

    assertThat(a.contentHash()).isEqualTo(b.contentHash());
    assertThat(a.sameContents(b)).isTrue();
    assertThat(b.sameContents(a)).isTrue();
    assertThat(a.samples()).isEqualTo(b.samples()).isEqualTo(400);
    assertThat(a.bucketsInUse()).isEqualTo(b.bucketsInUse());
    float[] query = samples.get(7).key();
    assertThat(a.read(query, 0.4, 0)).isEqualTo(b.read(query, 0.4, 0));
  }

  @Test
  void shouldTellDifferentContentsApart() {
    ErrorMemory a = memory(small());
    ErrorMemory b = memory(small());
    float[] key = TestData.gaussian(new SplittableRandom(5), 8);
    a.write(new LabelledSample(key, 1, 0.5, 0));
    b.write(new LabelledSample(key, 0, 0.5, 0));
    assertThat(a.contentHash()).isNotEqualTo(b.contentHash());
    assertThat(a.sameContents(b)).isFalse();
  }

  @Test
  void shouldNotChangeContentsOnRead() {
    ErrorMemory m = memory(small());
    List<LabelledSample> samples = TestData.clustered(new SplittableRandom(6), 50, 8, 2, 0, 0);
    samples.forEach(m::write);
    long hash = m.contentHash();
    samples.forEach(s -> m.read(s.key(), 0.5, 0));
    assertThat(m.contentHash()).isEqualTo(hash);
  }

  @Test
  void shouldReadABatchAsItReadsEachQueryAlone() {
    ErrorMemory m = memory(small());
    List<LabelledSample> samples = TestData.clustered(new SplittableRandom(9), 300, 8, 4, 0, 0);
    samples.forEach(m::write);
    int n = 37;
    float[][] queries = new float[n][];
    double[] bases = new double[n];
    long[] times = new long[n];
    for (int j = 0; j < n; j++) {
      queries[j] = samples.get(j * 7).key();
      bases[j] = j / (double) n;
      times[j] = j;
    }
    Readout[] together = new Readout[n];
    m.readAll(queries, bases, times, together);
    for (int j = 0; j < n; j++) {
      assertThat(together[j]).isEqualTo(m.read(queries[j], bases[j], times[j]));
    }
    float[][] oneBad = {queries[0], new float[3]};
    assertThatThrownBy(() -> m.readAll(oneBad, new double[2], new long[2], new Readout[2]))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void shouldGiveEachOfManyOverlappingReadsWhatItWouldGiveAlone() throws Exception {
    ErrorMemory m = memory(small());
    List<LabelledSample> samples = TestData.clustered(new SplittableRandom(8), 400, 8, 4, 0, 0);
    samples.forEach(m::write);
    List<Readout> alone = samples.stream().map(s -> m.read(s.key(), 0.5, 0)).toList();
    for (List<Readout> got :
        Overlapping.run(4, 20, () -> samples.stream().map(s -> m.read(s.key(), 0.5, 0)).toList())) {
      assertThat(got).isEqualTo(alone);
    }
  }

  @Test
  void shouldClampTheCompensatedScoreToProbabilities() {
    ErrorMemory m = memory(small().withLambda(5));
    float[] key = TestData.gaussian(new SplittableRandom(7), 8);
    m.write(new LabelledSample(key, 1, 0.9, 0));
    assertThat(m.read(key, 0.9, 0).compensatedScore()).isEqualTo(1.0);
    ErrorMemory n = memory(small().withLambda(5));
    n.write(new LabelledSample(key, 0, 0.1, 0));
    assertThat(n.read(key, 0.1, 0).compensatedScore()).isEqualTo(0.0);
  }

  @Test
  void shouldCountSamplesAndBucketsInUse() {
    ErrorMemory m = memory(small());
    float[] key = TestData.gaussian(new SplittableRandom(8), 8);
    m.write(new LabelledSample(key, 1, 0.5, 0));
    m.write(new LabelledSample(key, 0, 0.5, 0));
    assertThat(m.samples()).isEqualTo(2);
    assertThat(m.bucketsInUse()).isPositive();
  }

  @Test
  void shouldCloseIdempotentlyAndRefuseUseAfterClose() {
    ErrorMemory m = memory(small());
    m.write(new LabelledSample(new float[8], 1, 0.5, 0));
    m.close();
    m.close();
    assertThatThrownBy(() -> m.read(new float[8], 0.5, 0))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> m.write(new LabelledSample(new float[8], 1, 0.5, 0)))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(m::samples).isInstanceOf(IllegalStateException.class);
  }
}
