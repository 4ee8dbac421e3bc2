package io.hindsight.simulation;

import io.hindsight.events.Outcome;
import io.hindsight.events.Prediction;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * A recommender's world whose truth drifts away from a frozen base model. Users and items have
 * latent vectors; items belong to clusters (genres). The base model scores {@code σ(b + u·i + b_i)}
 * as the world was when it was trained; the truth adds a per-cluster popularity shift that jumps
 * every {@code phaseMs} of event time, so the model's errors are systematic and tied to regions of
 * its embedding (user ⊕ item vectors) — what the error memory exists for. Outcomes arrive after a
 * random delay; most negatives never arrive (implicit negatives). Deterministic for a seed; events
 * come out in event-time order. Not thread-safe.
 */
public final class DriftingWorld {
  /** One generated event, with the truth behind it for scoring the demo. */
  public record Event(Prediction prediction, Outcome outcome, double label, double truth) {}

  private static final int LATENT = 8;

  private final SplittableRandom random;
  private final int users;
  private final int clusters;
  private final double[][] userVectors;
  private final double[][] itemVectors;
  private final int[] itemCluster;
  private final double[] itemBias;
  private final double[] clusterDrift;
  private final long phaseMs;
  private final long stepMs;
  private final long maxDelayMs;
  private final String modelVersion;
  private final PriorityQueue<Event> pendingOutcomes =
      new PriorityQueue<>((a, b) -> Long.compare(a.outcome().timestamp(), b.outcome().timestamp()));
  private long clock;
  private long nextPhase;
  private long sequence;

  /**
   * @param start event time of the first prediction
   * @param stepMs event time between predictions
   * @param phaseMs event time between popularity shifts
   * @param maxDelayMs outcomes arrive within this delay (keep it inside the attribution window)
   */
  public DriftingWorld(
      long seed, long start, long stepMs, long phaseMs, long maxDelayMs, String modelVersion) {
    this.random = new SplittableRandom(seed);
    this.users = 2_000;
    int items = 600;
    this.clusters = 24;
    this.stepMs = stepMs;
    this.phaseMs = phaseMs;
    this.maxDelayMs = maxDelayMs;
    this.modelVersion = modelVersion;
    double[][] centroids = gaussians(clusters, 1.0);
    this.userVectors = gaussians(users, 0.6);
    this.itemVectors = new double[items][];
    this.itemCluster = new int[items];
    this.itemBias = new double[items];
    for (int i = 0; i < items; i++) {
      itemCluster[i] = i % clusters;
      itemVectors[i] = new double[LATENT];
      for (int k = 0; k < LATENT; k++) {
        itemVectors[i][k] = centroids[itemCluster[i]][k] + 0.3 * random.nextGaussian();
      }
      itemBias[i] = 0.5 * random.nextGaussian();
    }
    this.clusterDrift = new double[clusters];
    this.clock = start;
    this.nextPhase = start + phaseMs;
  }

  private double[][] gaussians(int n, double scale) {
    double[][] vectors = new double[n][LATENT];
    for (double[] v : vectors) {
      for (int k = 0; k < LATENT; k++) {
        v[k] = scale * random.nextGaussian();
      }
    }
    return vectors;
  }

  /**
   * The next prediction, and its outcome if it will have one (delivered by {@link #dueOutcome}).
   */
  public Event nextPrediction() {
    clock += stepMs;
    if (clock >= nextPhase) {
      shiftPopularity();
      nextPhase += phaseMs;
    }
    int user = (int) Math.min(users - 1, Math.abs(random.nextGaussian()) * users / 3);
    int item = random.nextInt(itemVectors.length);
    double logit = -0.5 + dot(userVectors[user], itemVectors[item]) + itemBias[item];
    double base = sigmoid(logit);
    double truth = sigmoid(logit + clusterDrift[itemCluster[item]]);
    double label = random.nextDouble() < truth ? 1.0 : 0.0;
    float[] embedding = new float[2 * LATENT];
    for (int k = 0; k < LATENT; k++) {
      embedding[k] = (float) userVectors[user][k];
      embedding[LATENT + k] = (float) itemVectors[item][k];
    }
    String requestId = "drift-" + sequence++;
    Prediction prediction =
        new Prediction(
            requestId,
            "demo-recommender",
            modelVersion,
            clock,
            base,
            embedding,
            null,
            "u" + user,
            "i" + item);
    Outcome outcome = null;
    if (label == 1.0 || random.nextDouble() < 0.3) {
      long delay = (long) Math.min(maxDelayMs, -Math.log(1 - random.nextDouble()) * maxDelayMs / 4);
      outcome = new Outcome(requestId, clock + delay, label);
    }
    Event event = new Event(prediction, outcome, label, truth);
    if (outcome != null) {
      pendingOutcomes.add(event);
    }
    return event;
  }

  /** An outcome due at or before the current event time, or null. */
  public Outcome dueOutcome() {
    Event head = pendingOutcomes.peek();
    if (head == null || head.outcome().timestamp() > clock) {
      return null;
    }
    return pendingOutcomes.poll().outcome();
  }

  private void shiftPopularity() {
    for (int c = 0; c < clusters; c++) {
      if (random.nextDouble() < 0.35) {
        clusterDrift[c] = 2.0 * random.nextGaussian();
      }
    }
  }

  public long clock() {
    return clock;
  }

  private static double dot(double[] a, double[] b) {
    double sum = 0;
    for (int k = 0; k < a.length; k++) {
      sum += a[k] * b[k];
    }
    return sum;
  }

  private static double sigmoid(double x) {
    return 1 / (1 + Math.exp(-x));
  }
}
