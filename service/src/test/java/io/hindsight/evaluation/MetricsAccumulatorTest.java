package io.hindsight.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class MetricsAccumulatorTest {

  @Test
  void shouldReportTheSameMetricsAsTheStaticFunctions() {
    MetricsAccumulator accumulator = new MetricsAccumulator();
    Object[] groups = {"a", "a", "b", "b", "b", "c", "c"};
    double[] labels = {1, 0, 1, 0, 0, 1, 1};
    double[] scores = {0.8, 0.2, 0.1, 0.5, 0.05, 0.3, 0.9};
    for (int i = 0; i < labels.length; i++) {
      accumulator.add(groups[i], labels[i], scores[i]);
    }

    MetricsReport report = accumulator.report();

    assertThat(report.count()).isEqualTo(7);
    assertThat(report.positiveRate()).isCloseTo(4.0 / 7, within(1e-12));
    assertThat(report.auc()).isEqualTo(BinaryMetrics.auc(labels, scores));
    assertThat(report.gauc()).isCloseTo(0.7, within(1e-12));
    assertThat(report.logloss()).isEqualTo(BinaryMetrics.logloss(labels, scores));
    assertThat(report.ece()).isEqualTo(BinaryMetrics.ece(labels, scores));
    assertThat(report.toLine()).startsWith("n=7 ");
  }

  @Test
  void shouldGrowBeyondItsInitialCapacityAndLeaveUngroupedSamplesOutOfGauc() {
    MetricsAccumulator accumulator = new MetricsAccumulator();
    for (int i = 0; i < 5000; i++) {
      accumulator.add(null, i % 2, (i % 2) * 0.5 + 0.25);
    }
    MetricsReport report = accumulator.report();
    assertThat(report.count()).isEqualTo(5000);
    assertThat(report.auc()).isEqualTo(1.0);
    assertThat(report.gauc()).isNaN();
  }

  @Test
  void shouldReportNaNsWhenEmpty() {
    MetricsReport report = new MetricsAccumulator().report();
    assertThat(report.count()).isZero();
    assertThat(report.auc()).isNaN();
    assertThat(report.logloss()).isNaN();
  }

  @Test
  void shouldRejectScoresOutsideTheUnitInterval() {
    assertThatThrownBy(() -> new MetricsAccumulator().add("u", 1, 1.5))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
