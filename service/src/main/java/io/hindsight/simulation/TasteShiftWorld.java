package io.hindsight.simulation;

import io.hindsight.events.Outcome;
import io.hindsight.events.Prediction;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A recommender's world with one change a person can follow: at {@code shiftAt} (event time) two
 * user segments start clicking one genre far more often than the frozen base model predicts. Users
 * belong to named segments, items to named genres; both have latent vectors, and the base model
 * scores {@code σ(b + u·i + b_i)}. Before the shift the model is right except for the newest items,
 * which it never saw and scores without their own bias (a cold start). Every positive outcome
 * arrives after a random delay, and so does a share of the negatives (explicit "no"s); the rest
 * never arrive (implicit negatives). Deterministic for a seed and a sequence of event times. Not
 * thread-safe.
 */
public final class TasteShiftWorld {
  /**
   * One generated prediction, with the truth behind it.
   *
   * @param shifted whether the shift applies to this user and item (after {@code shiftAt})
   */
  public record Event(
      Prediction prediction, Outcome outcome, double label, double truth, boolean shifted) {}

  public static final List<String> SEGMENTS =
      List.of("students", "parents", "commuters", "retirees");
  public static final List<String> GENRES =
      List.of("action", "comedy", "drama", "documentary", "kids", "sport", "news", "music");

  /** Who changes, and towards what: these segments click {@link #SHIFTED_GENRE} far more. */
  public static final List<String> SHIFTED_SEGMENTS = List.of("students", "commuters");

  public static final String SHIFTED_GENRE = "sport";

  /** The shift in logits: it turns a click rate of 15 % into 68 %. */
  static final double SHIFT_LOGIT = 2.5;

  private static final int LATENT = 8;
  private static final int USERS = 2_000;
  private static final int ITEMS = 640;
  private static final double NEW_ITEM_SHARE = 0.25;
  private static final double EXPLICIT_NEGATIVE_SHARE = 0.3;

  private final SplittableRandom random;
  private final double[][] userVectors;
  private final double[][] itemVectors;
  private final double[] itemBias;
  private final boolean[] itemIsNew;
  private final long shiftAt;
  private final long maxDelayMs;
  private final String modelVersion;
  private final SimulatedTraffic traffic = new SimulatedTraffic();
  private long clock = Long.MIN_VALUE;
  private long sequence;

  /**
   * @param shiftAt event time from which the shifted segments click the shifted genre more
   * @param maxDelayMs outcomes arrive within this delay (keep it inside the attribution window)
   */
  public TasteShiftWorld(long seed, long shiftAt, long maxDelayMs, String modelVersion) {
    this.random = new SplittableRandom(seed);
    this.shiftAt = shiftAt;
    this.maxDelayMs = maxDelayMs;
    this.modelVersion = modelVersion;
    double[][] segmentCentroids = gaussians(SEGMENTS.size(), 0.8);
    double[][] genreCentroids = gaussians(GENRES.size(), 0.8);
    this.userVectors = new double[USERS][];
    for (int u = 0; u < USERS; u++) {
      userVectors[u] = around(segmentCentroids[u % SEGMENTS.size()], 0.5);
    }
    this.itemVectors = new double[ITEMS][];
    this.itemBias = new double[ITEMS];
    this.itemIsNew = new boolean[ITEMS];
    for (int i = 0; i < ITEMS; i++) {
      itemVectors[i] = around(genreCentroids[i % GENRES.size()], 0.4);
      itemBias[i] = 0.8 * random.nextGaussian();
      itemIsNew[i] = random.nextDouble() < NEW_ITEM_SHARE;
    }
  }

  private double[][] gaussians(int n, double scale) {
    double[][] vectors = new double[n][];
    for (int i = 0; i < n; i++) {
      vectors[i] = around(new double[LATENT], scale);
    }
    return vectors;
  }

  private double[] around(double[] centre, double scale) {
    double[] v = new double[LATENT];
    for (int k = 0; k < LATENT; k++) {
      v[k] = centre[k] + scale * random.nextGaussian();
    }
    return v;
  }

  /**
   * The next prediction at {@code eventTime} (never earlier than the previous one), and its outcome
   * if it will have one (delivered by {@link #dueOutcome}).
   */
  public Event nextPrediction(long eventTime) {
    clock = Math.max(clock, eventTime);
    // A few heavy users and a long tail, as in any recommender's traffic.
    int user = (int) Math.min(USERS - 1, Math.abs(random.nextGaussian()) * USERS / 3);
    int item = random.nextInt(ITEMS);
    double affinity = -1.2 + SimulatedTraffic.dot(userVectors[user], itemVectors[item]) / 2;
    double baseLogit = affinity + (itemIsNew[item] ? 0 : itemBias[item]);
    boolean shifted = clock >= shiftAt && isShiftedPair(user, item);
    double truthLogit = affinity + itemBias[item] + (shifted ? SHIFT_LOGIT : 0);
    double base = SimulatedTraffic.sigmoid(baseLogit);
    double truth = SimulatedTraffic.sigmoid(truthLogit);
    double label = random.nextDouble() < truth ? 1.0 : 0.0;
    String requestId = "demo-" + sequence++;
    Prediction prediction =
        SimulatedTraffic.prediction(
            requestId, modelVersion, clock, base, user, userVectors[user], item, itemVectors[item]);
    Outcome outcome =
        traffic.outcome(random, requestId, clock, label, EXPLICIT_NEGATIVE_SHARE, maxDelayMs);
    return new Event(prediction, outcome, label, truth, shifted);
  }

  private static boolean isShiftedPair(int user, int item) {
    return SHIFTED_SEGMENTS.contains(SEGMENTS.get(user % SEGMENTS.size()))
        && GENRES.get(item % GENRES.size()).equals(SHIFTED_GENRE);
  }

  /** An outcome due at or before the latest prediction's event time, or null. */
  public Outcome dueOutcome() {
    return traffic.due(clock);
  }
}
