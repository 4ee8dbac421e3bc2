package io.hindsight.memory;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;

/**
 * One model version's compensation beyond the paper (design.md §2, "Field memories and a learned
 * blend"): combines the sketch's {@link Readout}, the field memories' {@link FieldEstimate}s, a
 * {@link LearnedBlend} and a {@link CompensationGuard} into the served score and every variant's
 * score; single-threaded. It reads no memory itself: the caller reads them and passes the results,
 * so this class stays pure and testable.
 *
 * <p><b>Protocol.</b> For a prediction, read the sketch and each declared field's memory, then
 * {@link #score}; keep {@link CompensationScores#features} with the pending prediction. When its
 * label is known, {@link #learn} with those features <em>before</em> writing the sample into the
 * memories. If the features were not kept they can be recomputed from the memories before the
 * write, at the cost of features that already know the labels that arrived in between.
 *
 * <p><b>Modes.</b> {@link CompensationMode#RELOOP2} serves the paper's formula, {@link
 * CompensationMode#FIELDS} {@code clamp(y_base + λ·Σ_f estimate_f, 0, 1)} (the sum, because
 * residuals of different fields add when the effects are independent; the shrinkage keeps sparse
 * values small), {@link CompensationMode#BLEND} the guarded blend. The blend and the guard learn in
 * every mode, so an evaluation can compare all variants over one run.
 */
public final class FieldCompensator {

  private final CompensationMode mode;
  private final double lambda;
  private final List<String> fields;
  private final List<String> entityMemories;
  private final LearnedBlend blend;
  private final CompensationGuard guard;

  /**
   * @param mode which variant {@link #score} serves
   * @param lambda λ for the fields' formula (normally the sketch's λ)
   * @param fields the declared fields, in the order estimates are passed
   * @throws IllegalArgumentException for a negative or non-finite λ, or repeated fields
   */
  public FieldCompensator(
      CompensationMode mode,
      double lambda,
      List<String> fields,
      BlendSettings blendSettings,
      GuardSettings guardSettings) {
    this(mode, lambda, fields, List.of(), blendSettings, guardSettings);
  }

  /**
   * A compensator that also reads entity memories ({@link FieldMemory#writeLogit}): their estimates
   * follow the fields' in {@link #score}, enter the blend as logit offsets and are reported as
   * variants of their own; the {@code fields} variant stays the fields' sum.
   *
   * @param entityMemories names of the entity memories, in the order their estimates are passed
   */
  public FieldCompensator(
      CompensationMode mode,
      double lambda,
      List<String> fields,
      List<String> entityMemories,
      BlendSettings blendSettings,
      GuardSettings guardSettings) {
    if (!(lambda >= 0) || !Double.isFinite(lambda)) {
      throw new IllegalArgumentException("lambda must be finite and >= 0, was " + lambda);
    }
    if (new HashSet<>(fields).size() != fields.size()) {
      throw new IllegalArgumentException("fields must be distinct, were " + fields);
    }
    this.mode = mode;
    this.lambda = lambda;
    this.fields = List.copyOf(fields);
    this.entityMemories = List.copyOf(entityMemories);
    this.blend = new LearnedBlend(blendSettings, fields.size() + entityMemories.size());
    this.guard = new CompensationGuard(guardSettings);
  }

  /** A compensator in {@code mode} with default blend and guard settings. */
  public static FieldCompensator withDefaults(
      CompensationMode mode, double lambda, List<String> fields) {
    return new FieldCompensator(
        mode, lambda, fields, BlendSettings.defaults(), GuardSettings.defaults());
  }

  /**
   * Every variant's score for a prediction with served score {@code baseScore}, the sketch's
   * readout and one estimate per declared field, in declared order ({@link FieldEstimate#NONE} for
   * a missing value).
   *
   * @throws IllegalArgumentException if the base score is outside [0, 1] or the number of estimates
   *     differs from the number of fields
   */
  public CompensationScores score(
      double baseScore, Readout sketch, FieldEstimate... fieldEstimates) {
    if (fieldEstimates.length != fields.size() + entityMemories.size()) {
      throw new IllegalArgumentException(
          "expected "
              + (fields.size() + entityMemories.size())
              + " field and entity estimates "
              + fields
              + entityMemories
              + ", got "
              + fieldEstimates.length);
    }
    double[] features =
        LearnedBlend.features(
            baseScore, sketch, fieldEstimates, fields.size(), lambda, blend.newFeatures());
    double[] alone = new double[fieldEstimates.length];
    double[] evidence = new double[fieldEstimates.length];
    double sum = 0;
    for (int f = 0; f < fieldEstimates.length; f++) {
      double e = fieldEstimates[f].estimate();
      evidence[f] = fieldEstimates[f].evidence();
      if (f < fields.size()) {
        alone[f] = LearnedBlend.clamp01(baseScore + lambda * e);
        sum += e;
      } else {
        alone[f] =
            fieldEstimates[f].hasEvidence()
                ? LearnedBlend.sigmoid(
                    LearnedBlend.logit(baseScore)
                        + features[LearnedBlend.FIRST_FIELD + LearnedBlend.PER_SOURCE * f])
                : baseScore;
      }
    }
    double allFields = LearnedBlend.clamp01(baseScore + lambda * sum);
    double blended = blend.predict(features);
    double trust = guard.trust();
    double guarded = baseScore + trust * (blended - baseScore);
    double served =
        switch (mode) {
          case RELOOP2 -> sketch.compensatedScore();
          case FIELDS -> allFields;
          case BLEND -> guarded;
        };
    return new CompensationScores(
        baseScore,
        sketch.compensatedScore(),
        alone,
        allFields,
        blended,
        trust,
        guarded,
        served,
        mode,
        features,
        evidence);
  }

  /**
   * Learns from one labelled sample: the guard observes the blend's current prediction for {@code
   * features} against the base score, then the blend takes one step.
   *
   * <p>Replicas applying the same samples in different orders hold slightly different blends (see
   * {@link LearnedBlend}), and so feed their guards slightly different predictions: the guard's
   * sums are order-independent, its inputs are not.
   *
   * @param features the features the prediction was scored with ({@link
   *     CompensationScores#features})
   */
  public void learn(double[] features, double baseScore, double label, long timestamp) {
    double before = blend.predict(features);
    guard.observe(timestamp, label, baseScore, before);
    blend.learn(features, label);
  }

  /** {@link #learn(double[], double, double, long)} with what {@link #score} returned. */
  public void learn(CompensationScores served, double label, long timestamp) {
    learn(served.features(), served.base(), label, timestamp);
  }

  /**
   * Names of the variants of {@link CompensationScores#variantScores}, in the same order: {@code
   * blend} is the guarded blend (what mode blend serves), {@code blend-unguarded} the blend alone.
   */
  public List<String> variantNames() {
    List<String> names = new ArrayList<>();
    names.add("base");
    names.add("reloop2");
    for (String field : fields) {
      names.add("field:" + field);
    }
    names.addAll(entityMemories);
    names.add("fields");
    names.add("blend-unguarded");
    names.add("blend");
    return names;
  }

  public CompensationMode mode() {
    return mode;
  }

  public double lambda() {
    return lambda;
  }

  public List<String> fields() {
    return fields;
  }

  /** The entity memories read after the fields. */
  public List<String> entityMemories() {
    return entityMemories;
  }

  /** The blend, e.g. to snapshot or restore its state. */
  public LearnedBlend blend() {
    return blend;
  }

  /** The guard, e.g. for a metric or to snapshot or restore its state. */
  public CompensationGuard guard() {
    return guard;
  }
}
