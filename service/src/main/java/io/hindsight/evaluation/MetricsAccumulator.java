package io.hindsight.evaluation;

import java.util.Arrays;

/**
 * Collects (group, label, score) samples and computes {@link BinaryMetrics} over all of them. Keeps
 * every sample (AUC needs the full ranking): about 20 bytes per sample plus the distinct groups.
 * Not thread-safe: one writer, or external synchronisation.
 */
public final class MetricsAccumulator {

  private static final int INITIAL_CAPACITY = 1024;

  private Object[] groups = new Object[INITIAL_CAPACITY];
  private double[] labels = new double[INITIAL_CAPACITY];
  private double[] scores = new double[INITIAL_CAPACITY];
  private int size;

  /**
   * Adds one sample. {@code group} (e.g. a user id) is only used by gAUC and may be null, in which
   * case the sample takes part in every metric except gAUC.
   *
   * @throws IllegalArgumentException if label or score is outside [0, 1] or NaN
   */
  public void add(Object group, double label, double score) {
    if (!(label >= 0 && label <= 1) || !(score >= 0 && score <= 1)) {
      throw new IllegalArgumentException(
          "label and score must be in [0, 1], got " + label + ", " + score);
    }
    if (size == labels.length) {
      int capacity = size * 2;
      groups = Arrays.copyOf(groups, capacity);
      labels = Arrays.copyOf(labels, capacity);
      scores = Arrays.copyOf(scores, capacity);
    }
    groups[size] = group;
    labels[size] = label;
    scores[size] = score;
    size++;
  }

  /** Number of samples added. */
  public long count() {
    return size;
  }

  /** Computes every metric over the samples added so far. */
  public MetricsReport report() {
    double[] y = Arrays.copyOf(labels, size);
    double[] p = Arrays.copyOf(scores, size);
    double labelSum = 0;
    double scoreSum = 0;
    for (int i = 0; i < size; i++) {
      labelSum += y[i];
      scoreSum += p[i];
    }
    return new MetricsReport(
        size,
        size == 0 ? Double.NaN : labelSum / size,
        size == 0 ? Double.NaN : scoreSum / size,
        BinaryMetrics.auc(y, p),
        groupAuc(),
        BinaryMetrics.logloss(y, p),
        BinaryMetrics.ece(y, p));
  }

  private double groupAuc() {
    int grouped = 0;
    for (int i = 0; i < size; i++) {
      if (groups[i] != null) {
        grouped++;
      }
    }
    Object[] g = new Object[grouped];
    double[] y = new double[grouped];
    double[] p = new double[grouped];
    int j = 0;
    for (int i = 0; i < size; i++) {
      if (groups[i] != null) {
        g[j] = groups[i];
        y[j] = labels[i];
        p[j] = scores[i];
        j++;
      }
    }
    return BinaryMetrics.gauc(g, y, p);
  }
}
