package io.hindsight.client;

/**
 * A candidate's compensation, as {@code POST /compensate} answers it: the base score, the served
 * (compensated) score, the sketch's evidence and the guard's trust in the blend. A model version
 * without a memory gives its base score back with evidence 0 and trust 1.
 */
public record Compensated(double score, double compensatedScore, int evidence, double trust) {

  /** How far the compensation moved the score. */
  public double delta() {
    return compensatedScore - score;
  }
}
