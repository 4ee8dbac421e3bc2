package io.hindsight.markov;

/**
 * What a live rule's own applications say about its success rate θ: Beta(1 + successes, 1 +
 * failures), a uniform prior updated by the turns on which the serving side applied the rule.
 * Immutable.
 */
public record RulePosterior(long successes, long failures) {

  /** No applications yet: the uniform prior. */
  public static final RulePosterior PRIOR = new RulePosterior(0, 0);

  public RulePosterior {
    if (successes < 0 || failures < 0) {
      throw new IllegalArgumentException(
          "successes and failures must not be negative: " + successes + ", " + failures);
    }
  }

  /** This posterior after one more application that succeeded or not. */
  public RulePosterior withOutcome(boolean success) {
    return success
        ? new RulePosterior(successes + 1, failures)
        : new RulePosterior(successes, failures + 1);
  }

  public long applications() {
    return successes + failures;
  }

  /** Posterior mean of θ. */
  public double mean() {
    return (1.0 + successes) / (2.0 + successes + failures);
  }

  /**
   * P(θ < rate) under the posterior: the exact Beta CDF (regularized incomplete beta), no normal
   * approximation, so it stays honest for the small counts a young rule has.
   */
  public double probabilityBelow(double rate) {
    return IncompleteBeta.regularized(rate, 1.0 + successes, 1.0 + failures);
  }
}
