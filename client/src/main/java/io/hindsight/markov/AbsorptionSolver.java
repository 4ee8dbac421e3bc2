package io.hindsight.markov;

import java.util.Set;

/**
 * Eventual success probabilities P_S(u) of the absorbing chain held by {@link ChainStatistics}: the
 * minimal non-negative solution of P_S(u) = R_S(u) + Σ_v Q(u,v)·P_S(v), i.e. the SUCCESS column of
 * B = (I−Q)^{-1}R. Implementations are single-writer, like the statistics they read.
 *
 * <p>A state with no outgoing counts has P_S = 0 (nothing is known to succeed from it), and so has
 * a state from which no absorbing count is reachable. Mass a state lost to successor eviction
 * counts as failure.
 */
public interface AbsorptionSolver {

  /**
   * Brings P_S up to date after {@code changed} states' statistics changed.
   *
   * @return the states whose P_S moved by more than the solver's report tolerance
   */
  Set<String> update(ChainStatistics statistics, Set<String> changed);

  /** The last computed P_S of {@code state}; 0 for a state the solver has not seen. */
  double successProbability(String state);
}
