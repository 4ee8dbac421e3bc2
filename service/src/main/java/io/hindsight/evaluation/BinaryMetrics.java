package io.hindsight.evaluation;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Metrics of probabilistic binary predictions: exact tie-aware AUC, impression-weighted group AUC,
 * clipped logloss and expected calibration error.
 *
 * <p>Labels are in [0, 1]; a fractional label {@code y} counts as weight {@code y} of a positive
 * and {@code 1 − y} of a negative, which reduces to the usual definitions for 0/1 labels. A metric
 * that is undefined for its input (AUC with one class, anything on no samples) is {@link
 * Double#NaN}. Stateless and thread-safe.
 */
public final class BinaryMetrics {

  /** Probabilities are clipped to [EPSILON, 1 − EPSILON] before taking logarithms. */
  public static final double LOGLOSS_EPSILON = 1e-7;

  /** Number of equal-width score bins used by {@link #ece}. */
  public static final int ECE_BINS = 10;

  private BinaryMetrics() {}

  /**
   * Area under the ROC curve: the probability that a random positive scores above a random
   * negative, ties counting one half. O(n log n).
   */
  public static double auc(double[] labels, double[] scores) {
    requireSameLength(labels, scores);
    int[] all = new int[scores.length];
    for (int i = 0; i < all.length; i++) {
      all[i] = i;
    }
    return auc(all, 0, all.length, labels, scores);
  }

  /**
   * Group AUC: the AUC of each group (typically a user) averaged with weights equal to the group's
   * number of samples. Groups whose samples are all of one class have no AUC and are skipped.
   */
  public static double gauc(Object[] groups, double[] labels, double[] scores) {
    requireSameLength(labels, scores);
    if (groups.length != labels.length) {
      throw new IllegalArgumentException("groups and labels differ in length");
    }
    Map<Object, Integer> groupIndex = new HashMap<>();
    int[] groupOf = new int[groups.length];
    for (int i = 0; i < groups.length; i++) {
      groupOf[i] = groupIndex.computeIfAbsent(groups[i], g -> groupIndex.size());
    }
    // A counting sort by group, in order of first appearance, keeps each group's samples in index
    // order in one contiguous run.
    int[] start = new int[groupIndex.size() + 1];
    for (int g : groupOf) {
      start[g + 1]++;
    }
    for (int g = 0; g < groupIndex.size(); g++) {
      start[g + 1] += start[g];
    }
    int[] order = new int[groups.length];
    int[] next = Arrays.copyOf(start, groupIndex.size());
    for (int i = 0; i < groupOf.length; i++) {
      order[next[groupOf[i]]++] = i;
    }
    double weightedSum = 0;
    long weight = 0;
    for (int g = 0; g < groupIndex.size(); g++) {
      int size = start[g + 1] - start[g];
      double groupAuc = auc(order, start[g], start[g + 1], labels, scores);
      if (!Double.isNaN(groupAuc)) {
        weightedSum += groupAuc * size;
        weight += size;
      }
    }
    return weight == 0 ? Double.NaN : weightedSum / weight;
  }

  /** Mean negative log-likelihood, natural log, probabilities clipped to avoid infinities. */
  public static double logloss(double[] labels, double[] scores) {
    requireSameLength(labels, scores);
    if (labels.length == 0) {
      return Double.NaN;
    }
    double sum = 0;
    for (int i = 0; i < labels.length; i++) {
      sum += pointLogloss(labels[i], scores[i]);
    }
    return sum / labels.length;
  }

  /**
   * Expected calibration error over {@value #ECE_BINS} equal-width score bins: the sample-weighted
   * mean of |mean label − mean score| per bin. A score of exactly 1 falls in the last bin.
   */
  public static double ece(double[] labels, double[] scores) {
    requireSameLength(labels, scores);
    if (labels.length == 0) {
      return Double.NaN;
    }
    long[] count = new long[ECE_BINS];
    double[] labelSum = new double[ECE_BINS];
    double[] scoreSum = new double[ECE_BINS];
    for (int i = 0; i < labels.length; i++) {
      int bin = eceBin(scores[i]);
      count[bin]++;
      labelSum[bin] += labels[i];
      scoreSum[bin] += scores[i];
    }
    return eceOfBins(count, labelSum, scoreSum, labels.length);
  }

  static double pointLogloss(double label, double score) {
    double p = Math.min(Math.max(score, LOGLOSS_EPSILON), 1 - LOGLOSS_EPSILON);
    return -(label * Math.log(p) + (1 - label) * Math.log(1 - p));
  }

  static int eceBin(double score) {
    return Math.min(Math.max((int) (score * ECE_BINS), 0), ECE_BINS - 1);
  }

  static double eceOfBins(long[] count, double[] labelSum, double[] scoreSum, long total) {
    double ece = 0;
    for (int b = 0; b < count.length; b++) {
      if (count[b] > 0) {
        ece += Math.abs(labelSum[b] - scoreSum[b]) / total;
      }
    }
    return ece;
  }

  /**
   * AUC of the samples {@code indices[from, to)}, in ascending index order. Walking up the distinct
   * scores, each tie's positives beat every negative below it and half of the negatives in the tie.
   * The ties' label sums are taken in index order, as a stable sort by score would give them.
   */
  private static double auc(int[] indices, int from, int to, double[] labels, double[] scores) {
    // + 0.0 turns -0.0 into 0.0: they are one tie, as == has it.
    double[] distinct = new double[to - from];
    for (int k = from; k < to; k++) {
      distinct[k - from] = scores[indices[k]] + 0.0;
    }
    Arrays.sort(distinct);
    int ties = 0;
    for (int k = 0; k < distinct.length; k++) {
      if (ties == 0 || distinct[k] != distinct[ties - 1]) {
        distinct[ties++] = distinct[k];
      }
    }
    double[] tiePositives = new double[ties];
    double[] tieNegatives = new double[ties];
    for (int k = from; k < to; k++) {
      int i = indices[k];
      int tie = Arrays.binarySearch(distinct, 0, ties, scores[i] + 0.0);
      tiePositives[tie] += labels[i];
      tieNegatives[tie] += 1 - labels[i];
    }
    double negativesBelow = 0;
    double positives = 0;
    double wins = 0;
    for (int tie = 0; tie < ties; tie++) {
      wins += tiePositives[tie] * (negativesBelow + tieNegatives[tie] / 2);
      positives += tiePositives[tie];
      negativesBelow += tieNegatives[tie];
    }
    if (positives == 0 || negativesBelow == 0) {
      return Double.NaN;
    }
    return wins / (positives * negativesBelow);
  }

  private static void requireSameLength(double[] labels, double[] scores) {
    Objects.requireNonNull(labels, "labels");
    Objects.requireNonNull(scores, "scores");
    if (labels.length != scores.length) {
      throw new IllegalArgumentException(
          "labels (" + labels.length + ") and scores (" + scores.length + ") differ in length");
    }
    for (int i = 0; i < labels.length; i++) {
      if (!(labels[i] >= 0 && labels[i] <= 1) || !(scores[i] >= 0 && scores[i] <= 1)) {
        throw new IllegalArgumentException(
            "sample "
                + i
                + ": label and score must be in [0, 1], got "
                + labels[i]
                + ", "
                + scores[i]);
      }
    }
  }
}
