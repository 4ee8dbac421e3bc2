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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The contract every {@link FieldMemory} passes: the shrunk-mean estimate, decay, order
 * independence under the bound, least-recently-used eviction beyond it, argument checks and
 * lifecycle. Subclasses say how to create a memory.
 */
abstract class FieldMemoryContract {

  @TempDir Path directory;

  private final List<FieldMemory> opened = new ArrayList<>();
  private int files;

  /** A new, empty memory; each call gives an independent one. */
  protected abstract FieldMemory newMemory(FieldMemorySettings settings);

  /** How many distinct values the bound test writes: a million unless that is too slow. */
  protected int distinctValuesForBoundTest() {
    return 1_000_000;
  }

  /** A fresh path inside the test's temporary directory, for persisted memories. */
  Path newFile() {
    return directory.resolve("field-" + files++ + ".cm");
  }

  FieldMemory memory(FieldMemorySettings settings) {
    FieldMemory memory = newMemory(settings);
    opened.add(memory);
    return memory;
  }

  @AfterEach
  void closeMemories() {
    opened.forEach(FieldMemory::close);
  }

  static FieldMemorySettings settings() {
    return new FieldMemorySettings("userId", 2.0, 0L, 10_000);
  }

  /** A labelled sample for one value of the field. */
  record Write(String value, double label, double base, long timestamp) {
    void applyTo(FieldMemory memory) {
      memory.write(value, label, base, timestamp);
    }
  }

  static List<Write> writes(long seed, int count, int values, long spanMs) {
    SplittableRandom random = new SplittableRandom(seed);
    List<Write> writes = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      String value = "user-" + random.nextInt(values);
      double base = Math.round(random.nextDouble() * 1000) / 1000.0;
      double label = random.nextDouble() < 0.3 ? 1.0 : 0.0;
      writes.add(new Write(value, label, base, spanMs == 0 ? 0 : random.nextLong(spanMs)));
    }
    return writes;
  }

  @Test
  void shouldEstimateTheShrunkMeanResidual() {
    FieldMemory m = memory(settings());
    m.write("u1", 1.0, 0.2, 0);
    m.write("u1", 0.0, 0.4, 10);
    m.write("u1", 1.0, 0.5, 20);
    m.write("u2", 0.0, 0.9, 30);

    // Σr = 0.8 − 0.4 + 0.5 = 0.9 over n = 3 with a prior of 2: 0.9 / 5.
    FieldEstimate e = m.estimate("u1", 40);
    assertThat(e.estimate()).isCloseTo(0.18, within(1e-6));
    assertThat(e.evidence()).isCloseTo(3.0, within(1e-9));
    assertThat(m.estimate("u2", 40).estimate()).isCloseTo(-0.9 / 3, within(1e-6));
    assertThat(m.size()).isEqualTo(2);
    assertThat(m.samples()).isEqualTo(4);
  }

  @Test
  void shouldGiveEachOfManyOverlappingPeeksWhatItWouldGiveAlone() throws Exception {
    FieldMemory m = memory(settings());
    writes(12, 2_000, 300, 0).forEach(w -> w.applyTo(m));
    List<String> values = new ArrayList<>();
    for (int v = 0; v < 320; v++) {
      values.add("user-" + v);
    }
    List<FieldEstimate> alone = values.stream().map(v -> m.peek(v, 0)).toList();
    for (List<FieldEstimate> got :
        Overlapping.run(4, 20, () -> values.stream().map(v -> m.peek(v, 0)).toList())) {
      assertThat(got).isEqualTo(alone);
    }
  }

  @Test
  void shouldEstimateTheRawMeanWithoutAPrior() {
    FieldMemory m = memory(settings().withPriorCount(0));
    m.write("u1", 1.0, 0.25, 0);
    m.write("u1", 1.0, 0.75, 0);
    assertThat(m.estimate("u1", 0)).isEqualTo(new FieldEstimate(0.5, 2.0));
  }

  @Test
  void shouldKnowNothingOfUnknownOrMissingValues() {
    FieldMemory m = memory(settings());
    m.write("u1", 1.0, 0.2, 0);
    assertThat(m.estimate("u2", 0)).isEqualTo(FieldEstimate.NONE);
    assertThat(m.estimate(null, 0)).isEqualTo(FieldEstimate.NONE);
    assertThat(m.estimate("", 0)).isEqualTo(FieldEstimate.NONE);
    assertThat(m.peek("u2", 0)).isEqualTo(FieldEstimate.NONE);
  }

  @Test
  void shouldIgnoreMissingValuesOnWrite() {
    FieldMemory m = memory(settings());
    assertThat(m.write(null, 1.0, 0.2, 0)).isFalse();
    assertThat(m.write("", 1.0, 0.2, 0)).isFalse();
    assertThat(m.write("u1", 1.0, 0.2, 0)).isTrue();
    assertThat(m.samples()).isOne();
    assertThat(m.size()).isOne();
  }

  @Test
  void shouldRejectBadArgumentsLeavingTheMemoryUnchanged() {
    FieldMemory m = memory(settings());
    m.write("u1", 1.0, 0.2, 0);
    long hash = m.contentHash();
    String tooLong = "x".repeat(FieldMemory.MAX_VALUE_LENGTH + 1);

    assertThatThrownBy(() -> m.write(tooLong, 1.0, 0.2, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("userId");
    assertThatThrownBy(() -> m.estimate(tooLong, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> m.write("u1", 1.5, 0.2, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("label");
    assertThatThrownBy(() -> m.write("u1", 1.0, Double.NaN, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("baseScore");
    assertThatThrownBy(() -> m.write("u1", 1.0, 0.2, -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("timestamp");
    assertThat(m.samples()).isOne();
    assertThat(m.contentHash()).isEqualTo(hash);
    // The longest accepted value is fine.
    assertThat(m.write("y".repeat(FieldMemory.MAX_VALUE_LENGTH), 0, 0, 0)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5})
  void shouldHoldIdenticalContentsForAnyOrderOfTheSameWritesUnderTheBound(long seed) {
    FieldMemorySettings s = settings();
    List<Write> writes = writes(seed, 3_000, 300, 1_000_000);
    List<Write> shuffled = new ArrayList<>(writes);
    Collections.shuffle(shuffled, new Random(seed));
    FieldMemory a = memory(s);
    FieldMemory b = memory(s);
    writes.forEach(w -> w.applyTo(a));
    SplittableRandom reads = new SplittableRandom(seed);
    for (Write w : shuffled) {
      w.applyTo(b);
      // Reads between writes change recency, never contents.
      b.estimate("user-" + reads.nextInt(400), w.timestamp());
    }

    assertThat(a.evictions()).isZero();
    assertThat(a.contentHash()).isEqualTo(b.contentHash());
    assertThat(a.sameContents(b)).isTrue();
    assertThat(b.sameContents(a)).isTrue();
    assertThat(a.size()).isEqualTo(b.size()).isEqualTo(300);
    assertThat(a.samples()).isEqualTo(b.samples()).isEqualTo(3_000);
    for (int v = 0; v < 300; v++) {
      assertThat(a.peek("user-" + v, 2_000_000)).isEqualTo(b.peek("user-" + v, 2_000_000));
    }
    try (OnHeapFieldMemory reference = new OnHeapFieldMemory(s)) {
      writes.forEach(w -> w.applyTo(reference));
      assertThat(a.sameContents(reference)).isTrue();
      assertThat(reference.contentHash()).isEqualTo(a.contentHash());
    }
  }

  @Test
  void shouldEstimateTheLogitOffsetAsOneNewtonStepForLogitWrites() {
    FieldMemory m = memory(settings().withPriorCount(1.0));
    m.writeLogit("u1", 1.0, 0.5, 0);
    m.writeLogit("u1", 1.0, 0.2, 10);
    m.writeLogit("u1", 0.0, 0.5, 20);

    // Σ(y − q) = 0.5 + 0.8 − 0.5 = 0.8 over Σq(1 − q) = 0.25 + 0.16 + 0.25 = 0.66, prior 1.
    FieldEstimate e = m.estimate("u1", 30);
    assertThat(e.estimate()).isCloseTo(0.8 / 1.66, within(1e-5));
    assertThat(e.evidence()).isCloseTo(0.66, within(1e-5));
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3})
  void shouldHoldIdenticalContentsForAnyOrderOfTheSameLogitWritesWithinADecayEpoch(long seed) {
    FieldMemorySettings s = settings().withHalfLifeMs(1_000);
    List<Write> writes = writes(seed, 2_000, 100, 8_000);
    List<Write> shuffled = new ArrayList<>(writes);
    Collections.shuffle(shuffled, new Random(seed));
    FieldMemory a = memory(s);
    FieldMemory b = memory(s);
    writes.forEach(w -> a.writeLogit(w.value(), w.label(), w.base(), w.timestamp()));
    shuffled.forEach(w -> b.writeLogit(w.value(), w.label(), w.base(), w.timestamp()));

    assertThat(a.contentHash()).isEqualTo(b.contentHash());
    assertThat(a.sameContents(b)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3})
  void shouldHoldIdenticalContentsForAnyOrderWithinADecayEpoch(long seed) {
    // Epochs are 8 half-lives: every sample below lies in epoch 0.
    FieldMemorySettings s = settings().withHalfLifeMs(1_000);
    List<Write> writes = writes(seed, 2_000, 100, 8_000);
    List<Write> shuffled = new ArrayList<>(writes);
    Collections.shuffle(shuffled, new Random(seed));
    FieldMemory a = memory(s);
    FieldMemory b = memory(s);
    writes.forEach(w -> w.applyTo(a));
    shuffled.forEach(w -> w.applyTo(b));

    assertThat(a.contentHash()).isEqualTo(b.contentHash());
    assertThat(a.sameContents(b)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3})
  void shouldAgreeWithinRoundingForAnyOrderAcrossDecayEpochs(long seed) {
    FieldMemorySettings s = settings().withHalfLifeMs(1_000).withPriorCount(0);
    List<Write> writes = writes(seed, 2_000, 50, 40_000);
    List<Write> shuffled = new ArrayList<>(writes);
    Collections.shuffle(shuffled, new Random(seed));
    FieldMemory a = memory(s);
    FieldMemory b = memory(s);
    writes.forEach(w -> w.applyTo(a));
    shuffled.forEach(w -> w.applyTo(b));

    for (int v = 0; v < 50; v++) {
      FieldEstimate x = a.peek("user-" + v, 40_000);
      FieldEstimate y = b.peek("user-" + v, 40_000);
      // One unit of 2^-20 per sample at most, relative to the value's weight.
      assertThat(y.evidence()).isCloseTo(x.evidence(), within(1e-4 * (1 + x.evidence())));
      assertThat(y.estimate()).isCloseTo(x.estimate(), within(1e-4));
    }
  }

  @Test
  void shouldHalveTheEvidenceAfterEachHalfLife() {
    long h = 60_000;
    FieldMemory m = memory(settings().withHalfLifeMs(h).withPriorCount(1));
    m.write("u1", 1.0, 0.0, 5 * h);
    m.write("u1", 1.0, 0.0, 5 * h);

    FieldEstimate now = m.peek("u1", 5 * h);
    FieldEstimate later = m.peek("u1", 6 * h);
    FieldEstimate much = m.peek("u1", 8 * h);
    assertThat(now.evidence()).isCloseTo(2.0, within(1e-6));
    assertThat(later.evidence()).isCloseTo(1.0, within(1e-6));
    assertThat(much.evidence()).isCloseTo(0.25, within(1e-6));
    // The residual sum decays with the count, so only the prior's share grows.
    assertThat(now.estimate()).isCloseTo(2.0 / 3, within(1e-6));
    assertThat(later.estimate()).isCloseTo(0.5, within(1e-6));
    assertThat(much.estimate()).isCloseTo(0.25 / 1.25, within(1e-6));
  }

  @Test
  void shouldWeighAnOldSampleByItsAgeAcrossEpochs() {
    long h = 1_000;
    FieldMemory m = memory(settings().withHalfLifeMs(h).withPriorCount(0));
    // 10 half-lives apart, in different epochs: the old residual weighs 2^-10 of the new one.
    m.write("u1", 1.0, 0.0, 20 * h);
    m.write("u1", 0.0, 0.0, 30 * h);
    FieldEstimate e = m.peek("u1", 30 * h);
    assertThat(e.evidence()).isCloseTo(1 + Math.pow(2, -10), within(1e-5));
    assertThat(e.estimate()).isCloseTo(Math.pow(2, -10) / (1 + Math.pow(2, -10)), within(1e-5));
  }

  @Test
  void shouldKeepTheBoundOverAMillionDistinctValues() {
    int bound = 10_000;
    int distinct = distinctValuesForBoundTest();
    FieldMemory m = memory(settings().withMaxValues(bound));
    for (int i = 0; i < distinct; i++) {
      m.write("user-" + i, i % 3 == 0 ? 1.0 : 0.0, 0.3, i);
      if (i % 997 == 0) {
        assertThat(m.size()).isLessThanOrEqualTo(bound);
      }
    }
    assertThat(m.size())
        .isBetween((long) bound - FieldMemory.evictionBatch(bound) + 1, (long) bound);
    assertThat(m.evictions()).isEqualTo(distinct - m.size());
    assertThat(m.samples()).isEqualTo(distinct);
    // The most recent values are the ones kept.
    assertThat(m.peek("user-" + (distinct - 1), distinct).evidence()).isPositive();
    assertThat(m.peek("user-0", distinct)).isEqualTo(FieldEstimate.NONE);
  }

  @Test
  void shouldEvictTheLeastRecentlyUsedValuesFirst() {
    // A bound of 32 evicts two values at a time.
    FieldMemory m = memory(settings().withMaxValues(32));
    for (int i = 0; i < 32; i++) {
      m.write("v" + i, 1.0, 0.5, i);
    }
    m.estimate("v0", 100); // a use: v0 becomes the most recent
    m.peek("v1", 100); // not a use: v1 stays the least recent

    m.write("v32", 1.0, 0.5, 200);

    assertThat(m.evictions()).isEqualTo(2);
    assertThat(m.size()).isEqualTo(31);
    assertThat(m.peek("v0", 300).hasEvidence()).isTrue();
    assertThat(m.peek("v1", 300).hasEvidence()).isFalse();
    assertThat(m.peek("v2", 300).hasEvidence()).isFalse();
    assertThat(m.peek("v3", 300).hasEvidence()).isTrue();
    assertThat(m.peek("v32", 300).hasEvidence()).isTrue();
  }

  @Test
  void shouldForgetTheHistoryOfAnEvictedValue() {
    FieldMemory m = memory(settings().withMaxValues(2).withPriorCount(0));
    m.write("a", 1.0, 0.0, 0);
    m.write("a", 1.0, 0.0, 0);
    m.write("b", 0.0, 0.0, 0);
    m.write("c", 0.0, 0.0, 0); // evicts a
    m.write("a", 0.0, 0.5, 0); // evicts b; a starts afresh
    assertThat(m.peek("a", 0)).isEqualTo(new FieldEstimate(-0.5, 1.0));
    assertThat(m.evictions()).isEqualTo(2);
  }

  @Test
  void shouldRetainValuesThatDependOnOrderOnceEvicting() {
    // What the contract does not promise, shown: with eviction, order decides what is retained.
    FieldMemorySettings s = settings().withMaxValues(4);
    FieldMemory a = memory(s);
    FieldMemory b = memory(s);
    for (String v : List.of("a", "b", "c", "d", "e", "a")) {
      a.write(v, 1.0, 0.5, 0);
    }
    for (String v : List.of("a", "a", "b", "c", "d", "e")) {
      b.write(v, 1.0, 0.5, 0);
    }
    assertThat(a.sameContents(b)).isFalse();
    assertThat(a.size()).isEqualTo(b.size()).isEqualTo(4);
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2})
  void shouldRetainWhatTheOnHeapMemoryRetainsForTheSameCalls(long seed) {
    // Every implementation evicts the same values for the same sequence of writes and reads.
    FieldMemorySettings s = settings().withMaxValues(64);
    FieldMemory m = memory(s);
    SplittableRandom random = new SplittableRandom(seed);
    try (OnHeapFieldMemory reference = new OnHeapFieldMemory(s)) {
      for (int i = 0; i < 5_000; i++) {
        String value = "user-" + random.nextInt(200);
        if (random.nextBoolean()) {
          double label = random.nextInt(2);
          m.write(value, label, 0.4, i);
          reference.write(value, label, 0.4, i);
        } else {
          assertThat(m.estimate(value, i)).isEqualTo(reference.estimate(value, i));
        }
      }
      assertThat(m.evictions()).isEqualTo(reference.evictions()).isPositive();
      assertThat(m.sameContents(reference)).isTrue();
      assertThat(m.contentHash()).isEqualTo(reference.contentHash());
    }
  }

  @Test
  void shouldCompareContentsThroughASynchronizedView() {
    FieldMemory a = memory(settings());
    FieldMemory shared = FieldMemories.synchronizedMemory(memory(settings()));
    assertThat(FieldMemories.synchronizedMemory(shared)).isSameAs(shared);
    a.write("u1", 1.0, 0.5, 0);
    shared.write("u1", 1.0, 0.5, 0);
    assertThat(a.sameContents(shared)).isTrue();
    assertThat(shared.sameContents(a)).isTrue();
    assertThat(shared.estimate("u1", 0)).isEqualTo(a.estimate("u1", 0));
    assertThat(shared.size()).isOne();
  }

  @Test
  void shouldTellDifferentContentsApart() {
    FieldMemory a = memory(settings());
    FieldMemory b = memory(settings());
    a.write("u1", 1.0, 0.5, 0);
    b.write("u1", 0.0, 0.5, 0);
    assertThat(a.contentHash()).isNotEqualTo(b.contentHash());
    assertThat(a.sameContents(b)).isFalse();
    FieldMemory c = memory(settings().withHalfLifeMs(1_000));
    c.write("u1", 1.0, 0.5, 0);
    assertThat(a.sameContents(c)).isFalse();
  }

  @Test
  void shouldCloseIdempotentlyAndRefuseUseAfterClose() {
    FieldMemory m = memory(settings());
    m.write("u1", 1.0, 0.5, 0);
    m.close();
    m.close();
    assertThatThrownBy(() -> m.estimate("u1", 0)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> m.write("u1", 1.0, 0.5, 0)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(m::size).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(m::samples).isInstanceOf(IllegalStateException.class);
  }
}
