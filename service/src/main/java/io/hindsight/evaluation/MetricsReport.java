package io.hindsight.evaluation;

import java.util.Locale;

/**
 * The metrics of one set of predictions, as computed by {@link MetricsAccumulator}. Undefined
 * metrics are {@link Double#NaN}.
 *
 * @param count number of samples
 * @param positiveRate mean label
 * @param meanScore mean predicted probability
 * @param auc exact tie-aware AUC
 * @param gauc group AUC weighted by group size, one-class groups skipped
 * @param logloss mean clipped logloss
 * @param ece expected calibration error over 10 equal-width bins
 */
public record MetricsReport(
    long count,
    double positiveRate,
    double meanScore,
    double auc,
    double gauc,
    double logloss,
    double ece) {

  /** A one-line human-readable summary, e.g. for a console report. */
  public String toLine() {
    return String.format(
        Locale.ROOT,
        "n=%d pos=%.4f mean=%.4f auc=%.4f gauc=%.4f logloss=%.4f ece=%.4f",
        count,
        positiveRate,
        meanScore,
        auc,
        gauc,
        logloss,
        ece);
  }
}
