package io.hindsight.markov;

import java.time.Duration;
import java.util.Objects;

/**
 * When {@link RuleBook} retracts a live rule and when it lets the source back in. Immutable; a bad
 * value fails naming the field.
 *
 * @param minApplications applications a rule needs before it can be judged
 * @param retractionProbability retract once P(rule success rate < R_S(source)) exceeds this
 * @param coolDown event time a retracted source is kept out before it can be chosen again
 * @param republishTolerance a live rule is republished when its confidence or a success rate moves
 *     by more than this (a changed target is always republished)
 */
public record RuleLifecycleSettings(
    int minApplications,
    double retractionProbability,
    Duration coolDown,
    double republishTolerance) {

  /** 30 applications, 0.95, one day, 0.02. */
  public static RuleLifecycleSettings defaults() {
    return new RuleLifecycleSettings(30, 0.95, Duration.ofDays(1), 0.02);
  }

  public RuleLifecycleSettings {
    if (minApplications < 1) {
      throw new IllegalArgumentException("minApplications must be at least 1: " + minApplications);
    }
    if (!(retractionProbability > 0.5 && retractionProbability < 1)) {
      throw new IllegalArgumentException(
          "retractionProbability must be in (0.5, 1): " + retractionProbability);
    }
    Objects.requireNonNull(coolDown, "coolDown");
    if (coolDown.isNegative()) {
      throw new IllegalArgumentException("coolDown must not be negative: " + coolDown);
    }
    if (!(republishTolerance >= 0 && republishTolerance <= 1)) {
      throw new IllegalArgumentException(
          "republishTolerance must be in [0, 1]: " + republishTolerance);
    }
  }
}
