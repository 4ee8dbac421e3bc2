package io.hindsight.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LearnedBlendTest {

  private static final double LAMBDA = 0.5;

  /** A labelled feature vector. */
  record Example(double[] features, double label) {}

  private static double sigmoid(double x) {
    return 1 / (1 + Math.exp(-x));
  }

  private static double gaussian(SplittableRandom random) {
    return Math.sqrt(-2 * Math.log(1 - random.nextDouble()))
        * Math.cos(2 * Math.PI * random.nextDouble());
  }

  /**
   * A calibrated base model, a sketch whose estimate is noise, and one field whose estimate carries
   * half of a hidden per-sample bias.
   */
  static List<Example> examples(long seed, int count) {
    SplittableRandom random = new SplittableRandom(seed);
    List<Example> examples = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      double bias = 1.2 * gaussian(random);
      double trueLogit = -1 + gaussian(random);
      double base = sigmoid(trueLogit - bias);
      double label = random.nextDouble() < sigmoid(trueLogit) ? 1 : 0;
      double noise = 0.3 * gaussian(random);
      Readout sketch =
          new Readout(LearnedBlend.clamp01(base + LAMBDA * noise), noise, base + noise, base, 16);
      FieldEstimate field =
          new FieldEstimate(0.5 * (sigmoid(trueLogit) - base), 1 + random.nextInt(50));
      double[] x =
          LearnedBlend.features(base, sketch, new FieldEstimate[] {field}, LAMBDA, new double[8]);
      examples.add(new Example(x, label));
    }
    return examples;
  }

  @Test
  void shouldStartAtThePapersFormula() {
    LearnedBlend blend = new LearnedBlend(BlendSettings.defaults(), 2);
    SplittableRandom random = new SplittableRandom(1);
    for (int i = 0; i < 1_000; i++) {
      double base = random.nextDouble();
      double error = random.nextDouble() * 2 - 1;
      double reloop2 = Math.min(1, Math.max(0, base + LAMBDA * error));
      Readout sketch = new Readout(reloop2, error, base + error, base, 1 + random.nextInt(64));
      FieldEstimate[] fields = {
        new FieldEstimate(random.nextDouble() - 0.5, random.nextInt(100)), FieldEstimate.NONE
      };
      double[] x = LearnedBlend.features(base, sketch, fields, LAMBDA, blend.newFeatures());
      double clipped = Math.min(1 - LearnedBlend.EPSILON, Math.max(LearnedBlend.EPSILON, reloop2));
      assertThat(blend.predict(x)).isCloseTo(clipped, within(1e-12));
    }
  }

  @Test
  void shouldPassTheBaseThroughWithoutEvidence() {
    LearnedBlend blend = new LearnedBlend(BlendSettings.defaults(), 1);
    double[] x =
        LearnedBlend.features(
            0.37,
            Readout.passThrough(0.37),
            new FieldEstimate[] {FieldEstimate.NONE},
            LAMBDA,
            blend.newFeatures());
    assertThat(blend.predict(x)).isCloseTo(0.37, within(1e-12));
    assertThat(x).containsExactly(1, LearnedBlend.logit(0.37), 0, 0, 0, 0, 0, 0);
  }

  @Test
  void shouldNameEveryFeature() {
    assertThat(LearnedBlend.featureNames(List.of("userId")))
        .hasSize(LearnedBlend.featureCount(1))
        .contains("base_logit", "sketch_shift", "userId_shift", "userId_log_evidence");
  }

  @Test
  void shouldLearnToDropANoisySketchAndUseAnInformativeField() {
    LearnedBlend blend = new LearnedBlend(BlendSettings.defaults(), 1);
    List<Example> examples = examples(2, 30_000);
    examples.forEach(e -> blend.learn(e.features(), e.label()));

    // A source's shift is weighed by w_shift + w_shift×evidence · log1p(evidence).
    double[] w = blend.weights();
    double sketch =
        w[LearnedBlend.SKETCH_SHIFT] + w[LearnedBlend.SKETCH_SHIFT_BY_EVIDENCE] * Math.log1p(16);
    double field = w[LearnedBlend.FIRST_FIELD] + w[LearnedBlend.FIRST_FIELD + 1] * Math.log1p(25);
    System.out.printf("effective shift weights: sketch %.3f, field %.3f%n", sketch, field);
    assertThat(sketch).isLessThan(0.3);
    assertThat(field).isGreaterThan(0.5);
    assertThat(blend.updates()).isEqualTo(30_000);
  }

  @Test
  void shouldReachTheSameWeightsBitForBitUnderReplay() {
    List<Example> examples = examples(3, 5_000);
    LearnedBlend a = new LearnedBlend(BlendSettings.defaults(), 1);
    LearnedBlend b = new LearnedBlend(BlendSettings.defaults(), 1);
    examples.forEach(e -> a.learn(e.features(), e.label()));
    examples.forEach(e -> b.learn(e.features(), e.label()));
    assertThat(a.weights()).containsExactly(b.weights());
    assertThat(a.snapshot()).containsExactly(b.snapshot());
  }

  @Test
  void shouldContinueBitForBitFromARestoredSnapshot() {
    List<Example> examples = examples(4, 4_000);
    LearnedBlend original = new LearnedBlend(BlendSettings.defaults(), 1);
    examples.subList(0, 2_000).forEach(e -> original.learn(e.features(), e.label()));
    LearnedBlend restored = new LearnedBlend(BlendSettings.defaults(), 1);
    restored.restore(original.snapshot());
    assertThat(restored.weights()).containsExactly(original.weights());
    assertThat(restored.updates()).isEqualTo(2_000);

    for (Example e : examples.subList(2_000, 4_000)) {
      assertThat(restored.learn(e.features(), e.label()))
          .isEqualTo(original.learn(e.features(), e.label()));
    }
    assertThat(restored.snapshot()).containsExactly(original.snapshot());
  }

  @Test
  void shouldRejectAForeignState() {
    LearnedBlend blend = new LearnedBlend(BlendSettings.defaults(), 1);
    double[] other = new LearnedBlend(BlendSettings.defaults(), 2).snapshot();
    assertThatThrownBy(() -> blend.restore(other)).isInstanceOf(IllegalArgumentException.class);
    double[] broken = blend.snapshot();
    broken[broken.length - 1] = -1;
    assertThatThrownBy(() -> blend.restore(broken)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> blend.restore(null)).isInstanceOf(IllegalArgumentException.class);
    assertThat(blend.weights()).containsExactly(blend.initialWeights());
  }

  @Test
  void shouldEndWithCloseWeightsForDifferentOrdersOfTheSameSamples() {
    // The blend is order-dependent; this measures how much, for replicas that see one set of
    // samples in different orders.
    List<Example> examples = examples(5, 40_000);
    List<Example> shuffled = new ArrayList<>(examples);
    Collections.shuffle(shuffled, new Random(5));
    LearnedBlend a = new LearnedBlend(BlendSettings.defaults(), 1);
    LearnedBlend b = new LearnedBlend(BlendSettings.defaults(), 1);
    examples.forEach(e -> a.learn(e.features(), e.label()));
    shuffled.forEach(e -> b.learn(e.features(), e.label()));

    double[] wa = a.weights();
    double[] wb = b.weights();
    double largest = 0;
    for (int i = 0; i < wa.length; i++) {
      largest = Math.max(largest, Math.abs(wa[i] - wb[i]));
    }
    double largestGap = 0;
    double totalGap = 0;
    for (Example e : examples) {
      double gap = Math.abs(a.predict(e.features()) - b.predict(e.features()));
      largestGap = Math.max(largestGap, gap);
      totalGap += gap;
    }
    double meanGap = totalGap / examples.size();
    System.out.printf(
        "blend order dependence: max |Δw| = %.4f, mean |Δp| = %.5f, max |Δp| = %.4f%n",
        largest, meanGap, largestGap);
    assertThat(largest).isLessThan(0.1);
    assertThat(meanGap).isLessThan(0.025);
  }

  @Test
  void shouldRejectFeaturesOfTheWrongLengthAndBadLabels() {
    LearnedBlend blend = new LearnedBlend(BlendSettings.defaults(), 1);
    assertThatThrownBy(() -> blend.predict(new double[3]))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> blend.learn(blend.newFeatures(), 1.5))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () ->
                LearnedBlend.features(
                    1.2, Readout.passThrough(0.5), new FieldEstimate[1], LAMBDA, new double[8]))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new BlendSettings(0, 1, 0, 0)).hasMessageContaining("learningRate");
  }
}
