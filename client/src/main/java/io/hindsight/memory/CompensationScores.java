package io.hindsight.memory;

import java.util.Arrays;

/**
 * Every variant's score for one prediction, from one {@link FieldCompensator#score} call, so an
 * evaluator can record them side by side; safe to share between threads as long as nobody modifies
 * its arrays, which belong to the record.
 *
 * @param base the model's served score y_base
 * @param reloop2 the paper's formula from the sketch, clamp(y_base + λ·y_err, 0, 1)
 * @param fieldAlone per declared field, clamp(y_base + λ·estimate_f, 0, 1)
 * @param fields all fields together, clamp(y_base + λ·Σ_f estimate_f, 0, 1)
 * @param blend the learned blend, unguarded
 * @param trust the guard's trust weight w in [0, 1] when scored
 * @param guarded base + w·(blend − base)
 * @param finalScore the score served under {@code mode}
 * @param mode the mode that chose {@code finalScore}
 * @param features the blend's features, to be handed back to {@link FieldCompensator#learn} with
 *     the label
 * @param fieldEvidence per declared field, the (decayed) samples behind its estimate
 */
public record CompensationScores(
    double base,
    double reloop2,
    double[] fieldAlone,
    double fields,
    double blend,
    double trust,
    double guarded,
    double finalScore,
    CompensationMode mode,
    double[] features,
    double[] fieldEvidence) {

  /** The samples behind declared field {@code f}'s estimate (0 for a value never seen). */
  public double fieldEvidence(int f) {
    return fieldEvidence[f];
  }

  /** finalScore − base. */
  public double delta() {
    return finalScore - base;
  }

  /** Whether the guard held the blend back (trust below 1) for this prediction. */
  public boolean fallingBack() {
    return trust < 1.0;
  }

  /**
   * The variants in the order of {@link FieldCompensator#variantNames}: base, reloop2, each field
   * alone, fields, blend, guarded blend.
   */
  public double[] variantScores() {
    double[] scores = new double[fieldAlone.length + 5];
    scores[0] = base;
    scores[1] = reloop2;
    System.arraycopy(fieldAlone, 0, scores, 2, fieldAlone.length);
    scores[fieldAlone.length + 2] = fields;
    scores[fieldAlone.length + 3] = blend;
    scores[fieldAlone.length + 4] = guarded;
    return scores;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CompensationScores other
        && Double.compare(base, other.base) == 0
        && Double.compare(reloop2, other.reloop2) == 0
        && Arrays.equals(fieldAlone, other.fieldAlone)
        && Double.compare(fields, other.fields) == 0
        && Double.compare(blend, other.blend) == 0
        && Double.compare(trust, other.trust) == 0
        && Double.compare(guarded, other.guarded) == 0
        && Double.compare(finalScore, other.finalScore) == 0
        && mode == other.mode
        && Arrays.equals(features, other.features)
        && Arrays.equals(fieldEvidence, other.fieldEvidence);
  }

  @Override
  public int hashCode() {
    int h = Double.hashCode(base);
    h = 31 * h + Double.hashCode(reloop2);
    h = 31 * h + Arrays.hashCode(fieldAlone);
    h = 31 * h + Double.hashCode(fields);
    h = 31 * h + Double.hashCode(blend);
    h = 31 * h + Double.hashCode(trust);
    h = 31 * h + Double.hashCode(guarded);
    h = 31 * h + Double.hashCode(finalScore);
    h = 31 * h + mode.hashCode();
    return 31 * h + Arrays.hashCode(features);
  }

  @Override
  public String toString() {
    return "CompensationScores[base="
        + base
        + ", reloop2="
        + reloop2
        + ", fieldAlone="
        + Arrays.toString(fieldAlone)
        + ", fields="
        + fields
        + ", blend="
        + blend
        + ", trust="
        + trust
        + ", guarded="
        + guarded
        + ", finalScore="
        + finalScore
        + ", mode="
        + mode
        + "]";
  }
}
