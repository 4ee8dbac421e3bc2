package io.hindsight.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BinaryMetricsTest {

  private static final double EXACT = 1e-12;

  @Test
  void shouldComputeAucOfASmallRanking() {
    double[] labels = {0, 0, 1, 1};
    double[] scores = {0.1, 0.4, 0.35, 0.8};
    // Pairs (pos, neg): (0.35,0.1) win, (0.35,0.4) loss, (0.8,*) two wins → 3 / 4.
    assertThat(BinaryMetrics.auc(labels, scores)).isCloseTo(0.75, within(EXACT));
  }

  @Test
  void shouldCountTiesAsOneHalf() {
    double[] labels = {1, 0, 0, 1, 0};
    double[] scores = {0.9, 0.9, 0.3, 0.3, 0.1};
    // Positive 0.9: tie + 2 wins = 2.5; positive 0.3: loss + tie + win = 1.5; (2.5 + 1.5) / 6.
    assertThat(BinaryMetrics.auc(labels, scores)).isCloseTo(4.0 / 6, within(EXACT));
    assertThat(BinaryMetrics.auc(new double[] {1, 0, 1, 0}, new double[] {0.5, 0.5, 0.5, 0.5}))
        .isCloseTo(0.5, within(EXACT));
  }

  @Test
  void shouldGiveOneForAPerfectRankingAndZeroForTheWorst() {
    double[] labels = {0, 0, 1, 1, 1};
    assertThat(BinaryMetrics.auc(labels, new double[] {0.1, 0.2, 0.3, 0.4, 0.5})).isEqualTo(1.0);
    assertThat(BinaryMetrics.auc(labels, new double[] {0.5, 0.4, 0.3, 0.2, 0.1})).isEqualTo(0.0);
  }

  @Test
  void shouldBeUndefinedWithOneClassOrNoSamples() {
    assertThat(BinaryMetrics.auc(new double[] {1, 1}, new double[] {0.2, 0.7})).isNaN();
    assertThat(BinaryMetrics.auc(new double[] {0, 0}, new double[] {0.2, 0.7})).isNaN();
    assertThat(BinaryMetrics.auc(new double[0], new double[0])).isNaN();
    assertThat(BinaryMetrics.logloss(new double[0], new double[0])).isNaN();
    assertThat(BinaryMetrics.ece(new double[0], new double[0])).isNaN();
  }

  @Test
  void shouldTreatFractionalLabelsAsWeightedPositivesAndNegatives() {
    // One sample with label 0.5 is half a positive and half a negative at the same score: a tie.
    assertThat(BinaryMetrics.auc(new double[] {0.5}, new double[] {0.3}))
        .isCloseTo(0.5, within(EXACT));
  }

  @Test
  void shouldMatchTheQuadraticPairwiseDefinitionOnRandomData() {
    SplittableRandom random = new SplittableRandom(7);
    for (int trial = 0; trial < 20; trial++) {
      int n = 1 + random.nextInt(60);
      double[] labels = new double[n];
      double[] scores = new double[n];
      for (int i = 0; i < n; i++) {
        labels[i] = random.nextInt(2);
        scores[i] = random.nextInt(8) / 7.0; // few distinct scores: many ties
      }
      assertThat(BinaryMetrics.auc(labels, scores))
          .isCloseTo(pairwiseAuc(labels, scores), within(1e-12));
    }
  }

  @Test
  void shouldWeightGroupAucByImpressionsAndSkipOneClassGroups() {
    Object[] groups = {"a", "a", "b", "b", "b", "c", "c"};
    double[] labels = {1, 0, 1, 0, 0, 1, 1};
    double[] scores = {0.8, 0.2, 0.1, 0.5, 0.05, 0.3, 0.9};
    // a: AUC 1 over 2 samples; b: AUC 0.5 over 3 samples; c: one class, skipped.
    assertThat(BinaryMetrics.gauc(groups, labels, scores))
        .isCloseTo((2 * 1.0 + 3 * 0.5) / 5, within(EXACT));
    assertThat(
            BinaryMetrics.gauc(new Object[] {"c", "c"}, new double[] {1, 1}, new double[] {0, 1}))
        .isNaN();
  }

  @Test
  void shouldComputeLoglossWithClipping() {
    assertThat(BinaryMetrics.logloss(new double[] {1, 0}, new double[] {0.8, 0.4}))
        .isCloseTo(-(Math.log(0.8) + Math.log(0.6)) / 2, within(EXACT));
    assertThat(BinaryMetrics.logloss(new double[] {1}, new double[] {0.0}))
        .isCloseTo(-Math.log(1e-7), within(1e-9))
        .isFinite();
  }

  @Test
  void shouldComputeExpectedCalibrationErrorOverTenBins() {
    double[] scores = {0.05, 0.15, 0.15, 0.95, 1.0};
    double[] labels = {0, 1, 0, 1, 1};
    // Bin 0: |0 − 0.05|; bin 1: |1 − 0.30|; bin 9 (1.0 included): |2 − 1.95|; each over n = 5.
    assertThat(BinaryMetrics.ece(labels, scores))
        .isCloseTo((0.05 + 0.70 + 0.05) / 5, within(EXACT));
    assertThat(BinaryMetrics.ece(new double[] {0, 1}, new double[] {0.0, 1.0})).isEqualTo(0.0);
  }

  @Test
  void shouldRejectOutOfRangeInputs() {
    assertThatThrownBy(() -> BinaryMetrics.auc(new double[] {2}, new double[] {0.5}))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> BinaryMetrics.auc(new double[] {1}, new double[] {Double.NaN}))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> BinaryMetrics.auc(new double[] {1, 0}, new double[] {0.5}))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static double pairwiseAuc(double[] labels, double[] scores) {
    double wins = 0;
    long pairs = 0;
    for (int i = 0; i < labels.length; i++) {
      for (int j = 0; j < labels.length; j++) {
        if (labels[i] == 1 && labels[j] == 0) {
          pairs++;
          wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
        }
      }
    }
    return pairs == 0 ? Double.NaN : wins / pairs;
  }
}
