package io.hindsight.events;

import com.fasterxml.jackson.annotation.JsonCreator;

/**
 * The compensated score published for one prediction.
 *
 * @param evidence the sketch's memory cells that contributed (0: the sketch had nothing)
 * @param fieldEvidence the samples behind the declared fields' estimates, summed over the fields
 *     (0: no field value had been seen)
 * @param mode the compensation mode that chose {@code compensatedScore} ({@code reloop2}, {@code
 *     fields} or {@code blend})
 * @param trust the guard's trust in the blend in [0, 1]: {@code compensatedScore = score + trust ·
 *     (blend − score)} in mode {@code blend}
 * @param fallback whether the guard held the blend back towards the base score (trust below 1)
 */
public record Compensation(
    String requestId,
    String modelId,
    String modelVersion,
    long timestamp,
    double score,
    double compensatedScore,
    double delta,
    int evidence,
    double fieldEvidence,
    String mode,
    double trust,
    boolean fallback) {

  @JsonCreator
  public Compensation {}

  /** A compensation without field memories or a blend: the paper's formula, fully trusted. */
  public Compensation(
      String requestId,
      String modelId,
      String modelVersion,
      long timestamp,
      double score,
      double compensatedScore,
      double delta,
      int evidence) {
    this(
        requestId,
        modelId,
        modelVersion,
        timestamp,
        score,
        compensatedScore,
        delta,
        evidence,
        0.0,
        "reloop2",
        1.0,
        false);
  }
}
