package io.hindsight.memory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A small online logistic model that turns the base score, the sketch's and the fields' error
 * estimates and their evidence into a compensated probability (design.md §2, "a learned blend");
 * single-threaded. Deterministic: the same sequence of {@link #learn} calls from the same state
 * gives bit-identical weights on every JVM ({@link StrictMath} throughout).
 *
 * <p><b>Features</b> ({@link #features}, names in {@link #featureNames}). Every estimate enters as
 * the logit shift it implies when applied as in the paper, so all shifts share one scale:
 *
 * <ul>
 *   <li>a bias (1) and the base logit {@code logit(y_base)};
 *   <li>the sketch shift {@code logit(reloop2) − logit(y_base)}, where reloop2 = clamp(y_base +
 *       λ·y_err, 0, 1) is the {@link Readout#compensatedScore}; that shift times {@code
 *       log1p(evidence)}; and {@code log1p(evidence)} alone;
 *   <li>per field, the same three from {@code clamp(y_base + λ·estimate_f, 0, 1)} and the field's
 *       evidence n.
 * </ul>
 *
 * Probabilities are clipped to [{@value #EPSILON}, 1 − {@value #EPSILON}] before a logit. The
 * shifts scale with λ, so with λ = 0 the sketch and the fields contribute nothing to the blend.
 *
 * <p><b>Initialisation: exactly the paper's formula.</b> The weights are {@code w = w0 + v} with w0
 * = 1 on the base logit and on the sketch shift and 0 elsewhere, and v = 0 at the start. The
 * initial output is then σ(logit(y_base) + logit(reloop2) − logit(y_base)) = reloop2, clipped to
 * [ε, 1 − ε] instead of [0, 1], up to floating-point rounding (tested to 1e-12). With no evidence
 * every shift is 0 and the base passes through.
 *
 * <p><b>Learning.</b> FTRL-proximal with per-coordinate rates learns the deviation v from w0, so
 * its L1/L2 regularisation pulls towards the paper's formula rather than towards 0. Call {@link
 * #learn} once per labelled sample with the features the prediction was (or would have been) scored
 * with: features read from memories that already hold the sample's own residual would leak its
 * label.
 *
 * <p><b>Order dependence, stated plainly.</b> Online gradient descent depends on the order of the
 * samples. Replicas that receive the same labelled samples in different orders end with slightly
 * different weights; there is no deterministic merge. The blend is therefore learned per instance:
 * replay of the same order reproduces it exactly, and different orders of the same samples converge
 * to close weights because the problem is a convex, low-dimensional logistic regression with
 * decaying per-coordinate steps (the tests measure how close). {@link CompensationGuard} protects
 * the served score either way.
 *
 * <p><b>State.</b> Two doubles per feature (FTRL's z and n) and a counter: {@link #snapshot} and
 * {@link #restore} move it, e.g. to keep it per model version in a store.
 */
public final class LearnedBlend {

  /** Probabilities are clipped to [ε, 1 − ε] before taking a logit. */
  public static final double EPSILON = 1e-6;

  static final int BIAS = 0;
  static final int BASE_LOGIT = 1;
  static final int SKETCH_SHIFT = 2;
  static final int SKETCH_SHIFT_BY_EVIDENCE = 3;
  static final int SKETCH_EVIDENCE = 4;
  static final int FIRST_FIELD = 5;

  /** Features per source (sketch or field): shift, shift × log-evidence, log-evidence. */
  static final int PER_SOURCE = 3;

  private static final double MAX_MARGIN = 35;

  /** Largest logit offset an entity memory contributes. */
  static final double MAX_ENTITY_SHIFT = 10;

  private static final int FORMAT = 1;
  private static final int HEADER = 3;

  private final BlendSettings settings;
  private final int fields;
  private final int size;
  private final double[] initial;
  private final double[] z;
  private final double[] n;
  private final double[] deviation;
  private long updates;

  /** A blend over the sketch and {@code fields} field memories, equal to the paper's formula. */
  public LearnedBlend(BlendSettings settings, int fields) {
    if (fields < 0) {
      throw new IllegalArgumentException("fields must be >= 0, was " + fields);
    }
    this.settings = settings;
    this.fields = fields;
    this.size = featureCount(fields);
    this.initial = new double[size];
    initial[BASE_LOGIT] = 1.0;
    initial[SKETCH_SHIFT] = 1.0;
    this.z = new double[size];
    this.n = new double[size];
    this.deviation = new double[size];
  }

  /** The number of features of a blend over {@code fields} field memories. */
  public static int featureCount(int fields) {
    return FIRST_FIELD + PER_SOURCE * fields;
  }

  /** Feature names, in feature order, for reports: {@code sketch_shift}, {@code userId_shift}… */
  public static List<String> featureNames(List<String> fields) {
    List<String> names =
        new ArrayList<>(
            List.of(
                "bias",
                "base_logit",
                "sketch_shift",
                "sketch_shift_x_log_evidence",
                "sketch_log_evidence"));
    for (String field : fields) {
      names.add(field + "_shift");
      names.add(field + "_shift_x_log_evidence");
      names.add(field + "_log_evidence");
    }
    return names;
  }

  /**
   * Fills {@code out} (length {@link #featureCount}) with the features of a prediction with served
   * score {@code baseScore}, the sketch's readout and the fields' estimates in declared order;
   * {@code lambda} is the weight the fields' shifts are computed with.
   */
  public static double[] features(
      double baseScore,
      Readout sketch,
      FieldEstimate[] fieldEstimates,
      double lambda,
      double[] out) {
    return features(baseScore, sketch, fieldEstimates, fieldEstimates.length, lambda, out);
  }

  /**
   * {@link #features(double, Readout, FieldEstimate[], double, double[])} where the estimates from
   * index {@code probabilityFields} on are entity memories' logit offsets: their shift is the
   * estimate itself, clipped to ±{@value #MAX_ENTITY_SHIFT}.
   */
  public static double[] features(
      double baseScore,
      Readout sketch,
      FieldEstimate[] fieldEstimates,
      int probabilityFields,
      double lambda,
      double[] out) {
    if (out.length != featureCount(fieldEstimates.length)) {
      throw new IllegalArgumentException(
          "features need length "
              + featureCount(fieldEstimates.length)
              + " for "
              + fieldEstimates.length
              + " fields, was "
              + out.length);
    }
    if (!(baseScore >= 0 && baseScore <= 1)) {
      throw new IllegalArgumentException("baseScore must be in [0, 1], was " + baseScore);
    }
    double baseLogit = logit(baseScore);
    out[BIAS] = 1.0;
    out[BASE_LOGIT] = baseLogit;
    source(
        out,
        SKETCH_SHIFT,
        sketch.hasEvidence() ? logit(sketch.compensatedScore()) - baseLogit : 0.0,
        sketch.evidence());
    for (int f = 0; f < fieldEstimates.length; f++) {
      FieldEstimate e = fieldEstimates[f];
      double shift;
      if (!e.hasEvidence()) {
        shift = 0.0;
      } else if (f < probabilityFields) {
        shift = logit(clamp01(baseScore + lambda * e.estimate())) - baseLogit;
      } else {
        shift = Math.max(-MAX_ENTITY_SHIFT, Math.min(MAX_ENTITY_SHIFT, e.estimate()));
      }
      source(out, FIRST_FIELD + PER_SOURCE * f, shift, e.evidence());
    }
    return out;
  }

  private static void source(double[] out, int at, double shift, double evidence) {
    double logEvidence = StrictMath.log1p(Math.max(0.0, evidence));
    out[at] = shift;
    out[at + 1] = shift * logEvidence;
    out[at + 2] = logEvidence;
  }

  /** The number of field memories this blend reads. */
  public int fields() {
    return fields;
  }

  /** The length of a feature vector. */
  public int featureCount() {
    return size;
  }

  /** A new zeroed feature vector of the right length. */
  public double[] newFeatures() {
    return new double[size];
  }

  /** The compensated probability for {@code features}, in [σ(−35), σ(35)]. */
  public double predict(double[] features) {
    checkFeatures(features);
    double margin = 0;
    for (int i = 0; i < size; i++) {
      margin += (initial[i] + deviation[i]) * features[i];
    }
    return sigmoid(margin);
  }

  /**
   * One step of FTRL-proximal on the log loss of {@code label} (in [0, 1]) given {@code features}.
   *
   * @return the prediction before the step, for prequential evaluation
   */
  public double learn(double[] features, double label) {
    if (!(label >= 0 && label <= 1)) {
      throw new IllegalArgumentException("label must be in [0, 1], was " + label);
    }
    double p = predict(features);
    double alpha = settings.learningRate();
    for (int i = 0; i < size; i++) {
      double x = features[i];
      if (x == 0) {
        continue;
      }
      double g = (p - label) * x;
      double sigma = (StrictMath.sqrt(n[i] + g * g) - StrictMath.sqrt(n[i])) / alpha;
      z[i] += g - sigma * deviation[i];
      n[i] += g * g;
      deviation[i] = deviation(i);
    }
    updates++;
    return p;
  }

  /** The number of {@link #learn} steps taken. */
  public long updates() {
    return updates;
  }

  /** The current weights w0 + v, in feature order. */
  public double[] weights() {
    double[] w = new double[size];
    for (int i = 0; i < size; i++) {
      w[i] = initial[i] + deviation[i];
    }
    return w;
  }

  /** The initial weights w0: 1 on the base logit and the sketch shift, 0 elsewhere. */
  public double[] initialWeights() {
    return initial.clone();
  }

  /**
   * The learner's state: {@code [format, fields, updates, z_0…z_{m−1}, n_0…n_{m−1}]}, 3 + 2m
   * doubles for m features. Bit-exact through {@link #restore}.
   */
  public double[] snapshot() {
    double[] state = new double[HEADER + 2 * size];
    state[0] = FORMAT;
    state[1] = fields;
    state[2] = updates;
    System.arraycopy(z, 0, state, HEADER, size);
    System.arraycopy(n, 0, state, HEADER + size, size);
    return state;
  }

  /**
   * Replaces the learner's state with a {@link #snapshot} of a blend over as many fields.
   *
   * @throws IllegalArgumentException if the state has another format, field count or length, or
   *     holds a non-finite or negative accumulator; this blend is then unchanged
   */
  public void restore(double[] state) {
    if (state == null
        || state.length != HEADER + 2 * size
        || state[0] != FORMAT
        || state[1] != fields
        || !(state[2] >= 0)) {
      throw new IllegalArgumentException(
          "not a blend state for "
              + fields
              + " fields (expected "
              + (HEADER + 2 * size)
              + " doubles, format "
              + FORMAT
              + ")");
    }
    for (int i = HEADER; i < state.length; i++) {
      if (!Double.isFinite(state[i]) || (i >= HEADER + size && state[i] < 0)) {
        throw new IllegalArgumentException("blend state value " + i + " is invalid: " + state[i]);
      }
    }
    updates = (long) state[2];
    System.arraycopy(state, HEADER, z, 0, size);
    System.arraycopy(state, HEADER + size, n, 0, size);
    for (int i = 0; i < size; i++) {
      deviation[i] = deviation(i);
    }
  }

  /** FTRL-proximal's closed form for coordinate i, centred on the initial weight. */
  private double deviation(int i) {
    double l1 = settings.l1();
    if (Math.abs(z[i]) <= l1) {
      return 0.0;
    }
    double shrunk = z[i] - Math.signum(z[i]) * l1;
    return -shrunk
        / ((settings.beta() + StrictMath.sqrt(n[i])) / settings.learningRate() + settings.l2());
  }

  private void checkFeatures(double[] features) {
    if (features == null || features.length != size) {
      throw new IllegalArgumentException(
          "expected " + size + " features, was " + (features == null ? "null" : features.length));
    }
  }

  /** logit(clip(p, ε, 1 − ε)). */
  static double logit(double p) {
    double q = Math.min(1 - EPSILON, Math.max(EPSILON, p));
    return StrictMath.log(q) - StrictMath.log1p(-q);
  }

  static double sigmoid(double margin) {
    double m = Math.min(MAX_MARGIN, Math.max(-MAX_MARGIN, margin));
    return 1.0 / (1.0 + StrictMath.exp(-m));
  }

  static double clamp01(double p) {
    return Math.min(1.0, Math.max(0.0, p));
  }

  @Override
  public String toString() {
    return "LearnedBlend[fields="
        + fields
        + ", updates="
        + updates
        + ", weights="
        + Arrays.toString(weights())
        + "]";
  }
}
