package io.hindsight.simulation;

import io.hindsight.events.Outcome;
import io.hindsight.events.Prediction;
import java.util.Comparator;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * What the simulated recommenders share: how a scored user and item become a prediction (the
 * embedding is the two latent vectors side by side), which labels get an outcome and when, and the
 * outcomes waiting for their time. Not thread-safe.
 */
final class SimulatedTraffic {
  private final PriorityQueue<Outcome> pending =
      new PriorityQueue<>(Comparator.comparingLong(Outcome::timestamp));

  static Prediction prediction(
      String requestId,
      String modelVersion,
      long time,
      double score,
      int user,
      double[] userVector,
      int item,
      double[] itemVector) {
    int latent = userVector.length;
    float[] embedding = new float[2 * latent];
    for (int k = 0; k < latent; k++) {
      embedding[k] = (float) userVector[k];
      embedding[latent + k] = (float) itemVector[k];
    }
    return new Prediction(
        requestId,
        "demo-recommender",
        modelVersion,
        time,
        score,
        embedding,
        null,
        "u" + user,
        "i" + item);
  }

  /**
   * The outcome of a label at {@code time}, kept until it is due: every positive, and {@code
   * explicitNegativeShare} of the negatives, after an exponential delay capped at {@code
   * maxDelayMs}; null for a negative left implicit.
   */
  Outcome outcome(
      SplittableRandom random,
      String requestId,
      long time,
      double label,
      double explicitNegativeShare,
      long maxDelayMs) {
    if (label != 1.0 && random.nextDouble() >= explicitNegativeShare) {
      return null;
    }
    long delay = (long) Math.min(maxDelayMs, -Math.log(1 - random.nextDouble()) * maxDelayMs / 4);
    Outcome outcome = new Outcome(requestId, time + delay, label);
    pending.add(outcome);
    return outcome;
  }

  /** An outcome due at or before {@code clock}, or null. */
  Outcome due(long clock) {
    Outcome head = pending.peek();
    return head == null || head.timestamp() > clock ? null : pending.poll();
  }

  static double dot(double[] a, double[] b) {
    double sum = 0;
    for (int k = 0; k < a.length; k++) {
      sum += a[k] * b[k];
    }
    return sum;
  }

  static double sigmoid(double x) {
    return 1 / (1 + Math.exp(-x));
  }
}
