package io.hindsight.markov;

import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;

/**
 * The guards and search bounds of {@link RewritePolicy}. Immutable; every field is validated here
 * and a bad value fails naming the field.
 *
 * @param margin minimum R_S(target) − R_S(source): the friction a rewrite must remove, in [0,1]
 * @param minSourceUsers minimum distinct users who said the source
 * @param minTransitionUsers minimum distinct users who reformulated the source directly into the
 *     target; at least 2, because one user's habit, however often repeated, is not evidence
 * @param similarityGuard whether source and target must look alike (edit, token or phonetic)
 * @param maxEditDistance normalized Levenshtein distance at or below which two utterances are
 *     similar, in [0,1]
 * @param minTokenJaccard token Jaccard similarity at or above which two utterances are similar, in
 *     [0,1]
 * @param phoneticMatch whether equal Soundex keys (token by token) also make two utterances similar
 * @param blockList utterances never rewritten and never used as a target (normalized here)
 * @param maxSearchDepth how many reformulation steps from the source a target may be
 * @param maxExpandedStates how many states one search may touch
 * @param maxPushes how many pushes one decision may do: the bound on its work, whatever the size of
 *     the vocabulary. A decision stops earlier once its winner is certain; one that reaches the
 *     bound first decides on the partial search (counted by {@link
 *     RewritePolicy#uncertainDecisions()})
 */
public record RewriteSettings(
    double margin,
    int minSourceUsers,
    int minTransitionUsers,
    boolean similarityGuard,
    double maxEditDistance,
    double minTokenJaccard,
    boolean phoneticMatch,
    Set<String> blockList,
    int maxSearchDepth,
    int maxExpandedStates,
    long maxPushes) {

  /**
   * Margin 0.2, 10 source users, 5 transition users, similarity guard on (edit distance ≤ 0.5 or
   * token Jaccard ≥ 0.25 or equal phonetic keys), empty block list, depth 8, 10,000 states, 4,096
   * pushes per decision.
   */
  public static RewriteSettings defaults() {
    return new RewriteSettings(
        0.2, 10, 5, true, 0.5, 0.25, true, Set.of(), 8, 10_000, DEFAULT_MAX_PUSHES);
  }

  /** Pushes per decision by default. */
  public static final long DEFAULT_MAX_PUSHES = 4_096;

  /**
   * Pushes per state of {@link #withSearchBounds}: enough to converge on any graph in the tests.
   */
  static final long PUSHES_PER_STATE = 64;

  public RewriteSettings {
    requireUnitInterval("margin", margin);
    if (minSourceUsers < 1) {
      throw new IllegalArgumentException("minSourceUsers must be at least 1: " + minSourceUsers);
    }
    if (minTransitionUsers < 2) {
      throw new IllegalArgumentException(
          "minTransitionUsers must be at least 2: " + minTransitionUsers);
    }
    requireUnitInterval("maxEditDistance", maxEditDistance);
    requireUnitInterval("minTokenJaccard", minTokenJaccard);
    Objects.requireNonNull(blockList, "blockList");
    Set<String> normalized = new LinkedHashSet<>();
    for (String utterance : blockList) {
      normalized.add(UtteranceNormalizer.normalize(Objects.requireNonNull(utterance, "blockList")));
    }
    blockList = Set.copyOf(normalized);
    if (maxSearchDepth < 1) {
      throw new IllegalArgumentException("maxSearchDepth must be at least 1: " + maxSearchDepth);
    }
    if (maxExpandedStates < 2) {
      throw new IllegalArgumentException(
          "maxExpandedStates must be at least 2: " + maxExpandedStates);
    }
    if (maxPushes < 1) {
      throw new IllegalArgumentException("maxPushes must be at least 1: " + maxPushes);
    }
  }

  public RewriteSettings withMargin(double value) {
    return new RewriteSettings(
        value,
        minSourceUsers,
        minTransitionUsers,
        similarityGuard,
        maxEditDistance,
        minTokenJaccard,
        phoneticMatch,
        blockList,
        maxSearchDepth,
        maxExpandedStates,
        maxPushes);
  }

  public RewriteSettings withMinUsers(int source, int transition) {
    return new RewriteSettings(
        margin,
        source,
        transition,
        similarityGuard,
        maxEditDistance,
        minTokenJaccard,
        phoneticMatch,
        blockList,
        maxSearchDepth,
        maxExpandedStates,
        maxPushes);
  }

  public RewriteSettings withSimilarityGuard(
      boolean enabled, double maxEditDistance, double minTokenJaccard, boolean phoneticMatch) {
    return new RewriteSettings(
        margin,
        minSourceUsers,
        minTransitionUsers,
        enabled,
        maxEditDistance,
        minTokenJaccard,
        phoneticMatch,
        blockList,
        maxSearchDepth,
        maxExpandedStates,
        maxPushes);
  }

  public RewriteSettings withBlockList(Set<String> value) {
    return new RewriteSettings(
        margin,
        minSourceUsers,
        minTransitionUsers,
        similarityGuard,
        maxEditDistance,
        minTokenJaccard,
        phoneticMatch,
        value,
        maxSearchDepth,
        maxExpandedStates,
        maxPushes);
  }

  /**
   * Depth and state bounds, with a push budget ({@value #PUSHES_PER_STATE} per state) under which a
   * search converges rather than stops: the search bounded only by depth and states.
   */
  public RewriteSettings withSearchBounds(int depth, int states) {
    return new RewriteSettings(
        margin,
        minSourceUsers,
        minTransitionUsers,
        similarityGuard,
        maxEditDistance,
        minTokenJaccard,
        phoneticMatch,
        blockList,
        depth,
        states,
        PUSHES_PER_STATE * states);
  }

  /** The work bound of one decision, in pushes. */
  public RewriteSettings withMaxPushes(long pushes) {
    return new RewriteSettings(
        margin,
        minSourceUsers,
        minTransitionUsers,
        similarityGuard,
        maxEditDistance,
        minTokenJaccard,
        phoneticMatch,
        blockList,
        maxSearchDepth,
        maxExpandedStates,
        pushes);
  }

  private static void requireUnitInterval(String name, double value) {
    if (!(value >= 0 && value <= 1)) {
      throw new IllegalArgumentException(name + " must be in [0, 1]: " + value);
    }
  }
}
