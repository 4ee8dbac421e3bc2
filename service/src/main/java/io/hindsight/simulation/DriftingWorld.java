package io.hindsight.simulation;

import io.hindsight.events.Outcome;
import io.hindsight.events.Prediction;
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
  private final SimulatedTraffic traffic = new SimulatedTraffic();
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
    double logit =
        -0.5 + SimulatedTraffic.dot(userVectors[user], itemVectors[item]) + itemBias[item];
    double base = SimulatedTraffic.sigmoid(logit);
    double truth = SimulatedTraffic.sigmoid(logit + clusterDrift[itemCluster[item]]);
    double label = random.nextDouble() < truth ? 1.0 : 0.0;
    String requestId = "drift-" + sequence++;
    Prediction prediction =
        SimulatedTraffic.prediction(
            requestId, modelVersion, clock, base, user, userVectors[user], item, itemVectors[item]);
    Outcome outcome = traffic.outcome(random, requestId, clock, label, 0.3, maxDelayMs);
    return new Event(prediction, outcome, label, truth);
  }

  /** An outcome due at or before the current event time, or null. */
  public Outcome dueOutcome() {
    return traffic.due(clock);
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
}
