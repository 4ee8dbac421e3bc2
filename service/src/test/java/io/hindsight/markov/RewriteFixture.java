package io.hindsight.markov;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Statistics, solver, rule book and policy wired the way the topology wires them. */
final class RewriteFixture {

  final ChainStatistics statistics;
  final IncrementalAbsorptionSolver solver = new IncrementalAbsorptionSolver();
  final RuleBook book;
  final RewritePolicy policy;
  private final Set<String> pending = new LinkedHashSet<>();
  private int anonymous;

  RewriteFixture(RewriteSettings rewrite, RuleLifecycleSettings lifecycle) {
    this(ChainSettings.defaults(), rewrite, lifecycle);
  }

  RewriteFixture(ChainSettings chain, RewriteSettings rewrite, RuleLifecycleSettings lifecycle) {
    statistics = new ChainStatistics(chain);
    book = new RuleBook(lifecycle);
    policy = new RewritePolicy(rewrite, statistics, solver, book);
  }

  /** Records the same chain for {@code users} distinct new users. */
  RewriteFixture chain(int users, ChainOutcome outcome, String... turns) {
    for (int i = 0; i < users; i++) {
      record("user-" + anonymous++, outcome, turns);
    }
    return this;
  }

  RewriteFixture record(String user, ChainOutcome outcome, String... turns) {
    pending.addAll(statistics.recordChain(user, List.of(turns), outcome, 0));
    return this;
  }

  /** Solves, then refreshes the book with every state whose statistics or P_S changed. */
  List<RuleChange> refresh(long nowMillis) {
    Set<String> candidates = new LinkedHashSet<>(pending);
    candidates.addAll(solver.update(statistics, pending));
    pending.clear();
    return book.refresh(policy, candidates, nowMillis);
  }
}
