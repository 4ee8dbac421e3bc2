package io.hindsight.markov;

import java.util.Objects;

/**
 * A rewrite rule as published on the {@code rewrites} topic: replace {@code source} by {@code
 * target}. Immutable.
 *
 * @param source normalized utterance to rewrite
 * @param target normalized utterance to use instead
 * @param confidence share of the source's eventual success reached through the target,
 *     N(u,v)·R_S(v)/P_S(u), in [0,1]
 * @param sourceSuccess R_S(source), the one-step success rate of saying the source
 * @param targetSuccess R_S(target)
 * @param support distinct users who reformulated source directly into target
 * @param version increases every time a {@link RuleBook} publishes a rule; 0 before publication
 * @param updatedAt event time of publication in epoch milliseconds; 0 before publication
 */
public record RewriteRule(
    String source,
    String target,
    double confidence,
    double sourceSuccess,
    double targetSuccess,
    long support,
    long version,
    long updatedAt) {

  public RewriteRule {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(target, "target");
    if (source.equals(target)) {
      throw new IllegalArgumentException("target must differ from source: " + source);
    }
    requireProbability("confidence", confidence);
    requireProbability("sourceSuccess", sourceSuccess);
    requireProbability("targetSuccess", targetSuccess);
    if (support < 0) {
      throw new IllegalArgumentException("support must not be negative: " + support);
    }
    if (version < 0) {
      throw new IllegalArgumentException("version must not be negative: " + version);
    }
  }

  /** This rule as published under {@code version} at {@code updatedAt}. */
  public RewriteRule published(long version, long updatedAt) {
    return new RewriteRule(
        source, target, confidence, sourceSuccess, targetSuccess, support, version, updatedAt);
  }

  private static void requireProbability(String name, double value) {
    if (!(value >= 0 && value <= 1)) {
      throw new IllegalArgumentException(name + " must be in [0, 1]: " + value);
    }
  }
}
