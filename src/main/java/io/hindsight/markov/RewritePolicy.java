package io.hindsight.markov;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Single-writer, not thread-safe (reads the statistics and solver on their owner's thread). Picks
 * the rewrite target for a source u: among the states reachable from u, the one with the largest
 * success contribution N(u,v)·R_S(v) that passes every {@link RewriteGuard}.
 *
 * <p>N(u,·), row u of (I−Q)^{-1}, is computed sparsely by forward push: mass starts at u and is
 * pushed along Q (self-loops in closed form) until what is left at every state is below 1e-12, or
 * the bounds of {@link RewriteSettings#maxSearchDepth()} hops and {@link
 * RewriteSettings#maxExpandedStates()} states are reached, beyond which mass is dropped. Within the
 * bounds this converges to the exact row; beyond them it is a truncation that can only under-count
 * visits.
 *
 * <p>Distinct-user support is taken on the direct reformulation u→v, so a target reached only
 * through intermediate states (no user ever went straight from u to v) is refused; intermediate
 * paths still raise N(u,v) for a direct successor.
 */
public final class RewritePolicy {

  private static final double PUSH_TOLERANCE = 1e-12;
  // A tiny allowance so that equal probabilities computed in different orders are not refused.
  private static final double COMPARISON_SLACK = 1e-12;

  private final RewriteSettings settings;
  private final ChainStatistics statistics;
  private final AbsorptionSolver solver;
  private final LiveRules liveRules;

  public RewritePolicy(
      RewriteSettings settings,
      ChainStatistics statistics,
      AbsorptionSolver solver,
      LiveRules liveRules) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.statistics = Objects.requireNonNull(statistics, "statistics");
    this.solver = Objects.requireNonNull(solver, "solver");
    this.liveRules = Objects.requireNonNull(liveRules, "liveRules");
    int sketchSize = statistics.settings().supportSketchSize();
    // Above the sketch size user counts are estimates; keep every threshold decided exactly.
    if (settings.minSourceUsers() >= sketchSize || settings.minTransitionUsers() >= sketchSize) {
      throw new IllegalArgumentException(
          "minSourceUsers and minTransitionUsers must be below supportSketchSize ("
              + sketchSize
              + ") so that support is counted exactly");
    }
  }

  public RewriteSettings settings() {
    return settings;
  }

  ChainStatistics statistics() {
    return statistics;
  }

  /**
   * The best rule for {@code source} (normalized), or empty when no reachable target passes every
   * guard. The rule is unpublished: version and updatedAt are 0 until a {@link RuleBook} stamps
   * them.
   */
  public Optional<RewriteRule> choose(String source) {
    int u = statistics.idOf(source);
    if (u < 0 || !sourceGuards(source, u).isEmpty()) {
      return Optional.empty();
    }
    // Every guard but similarity is known before the search, and only a direct successor can have
    // transition support: rank just those that pass, and skip the search when none does. Ranking
    // every reached state and testing them in turn would pick the same target.
    List<Integer> eligible = new ArrayList<>();
    for (int k = 0, n = statistics.successorCount(u); k < n; k++) {
      int v = statistics.successorId(u, k);
      if (v != u && cheapTargetGuards(source, u, statistics.utterance(v), v).isEmpty()) {
        eligible.add(v);
      }
    }
    if (eligible.isEmpty()) {
      return Optional.empty();
    }
    Map<Integer, Double> contributions = contributions(u);
    List<Map.Entry<Integer, Double>> ranked = new ArrayList<>(eligible.size());
    for (int v : eligible) {
      Double contribution = contributions.get(v);
      if (contribution != null) {
        ranked.add(Map.entry(v, contribution));
      }
    }
    ranked.sort(
        Comparator.<Map.Entry<Integer, Double>>comparingDouble(Map.Entry::getValue)
            .reversed()
            .thenComparing(entry -> statistics.utterance(entry.getKey())));
    double sourceEventual = solver.successProbability(source);
    for (Map.Entry<Integer, Double> candidate : ranked) {
      int v = candidate.getKey();
      double contribution = candidate.getValue();
      if (v == u || contribution <= 0) {
        continue;
      }
      String target = statistics.utterance(v);
      if (targetGuards(source, u, target, v).isEmpty()) {
        double confidence = sourceEventual > 0 ? Math.min(1, contribution / sourceEventual) : 0;
        return Optional.of(
            new RewriteRule(
                source,
                target,
                confidence,
                statistics.successRate(u),
                statistics.successRate(v),
                statistics.distinctTransitionUsers(u, statistics.successorIndex(u, v)),
                0,
                0));
      }
    }
    return Optional.empty();
  }

  /** Every guard the rewrite {@code source}→{@code target} (both normalized) violates now. */
  public Set<RewriteGuard> violations(String source, String target) {
    int u = statistics.idOf(source);
    int v = statistics.idOf(target);
    if (u < 0 || v < 0) {
      return EnumSet.of(RewriteGuard.UNKNOWN_STATE);
    }
    Set<RewriteGuard> violated = sourceGuards(source, u);
    violated.addAll(targetGuards(source, u, target, v));
    return violated;
  }

  /** N(u,v)·R_S(v) for every state v the search reached from {@code source}, u included. */
  public Map<String, Double> successContributions(String source) {
    int u = statistics.idOf(source);
    if (u < 0) {
      return Map.of();
    }
    Map<String, Double> named = new LinkedHashMap<>();
    contributions(u).forEach((id, value) -> named.put(statistics.utterance(id), value));
    return named;
  }

  private EnumSet<RewriteGuard> sourceGuards(String source, int u) {
    EnumSet<RewriteGuard> violated = EnumSet.noneOf(RewriteGuard.class);
    if (settings.blockList().contains(source)) {
      violated.add(RewriteGuard.BLOCKED);
    }
    if (liveRules.isLiveTarget(source)) {
      violated.add(RewriteGuard.CHAINED);
    }
    if (statistics.distinctUsers(u) < settings.minSourceUsers()) {
      violated.add(RewriteGuard.SOURCE_SUPPORT);
    }
    return violated;
  }

  private EnumSet<RewriteGuard> targetGuards(String source, int u, String target, int v) {
    EnumSet<RewriteGuard> violated = cheapTargetGuards(source, u, target, v);
    // The similarity guard is by far the dearest; a candidate that fails a cheaper one is out
    // anyway.
    if (violated.isEmpty() && settings.similarityGuard() && !similar(source, target)) {
      violated.add(RewriteGuard.DISSIMILAR);
    }
    return violated;
  }

  /** The target guards that need neither the search nor the similarity of the utterances. */
  private EnumSet<RewriteGuard> cheapTargetGuards(String source, int u, String target, int v) {
    EnumSet<RewriteGuard> violated = EnumSet.noneOf(RewriteGuard.class);
    if (u == v) {
      violated.add(RewriteGuard.SAME_STATE);
      return violated;
    }
    if (settings.blockList().contains(target)) {
      violated.add(RewriteGuard.BLOCKED);
    }
    if (liveRules.isLiveSource(target)) {
      violated.add(RewriteGuard.CHAINED);
    }
    int position = statistics.successorIndex(u, v);
    long support = position < 0 ? 0 : statistics.distinctTransitionUsers(u, position);
    if (support < settings.minTransitionUsers()) {
      violated.add(RewriteGuard.TRANSITION_SUPPORT);
    }
    if (statistics.successRate(v) - statistics.successRate(u)
        < settings.margin() - COMPARISON_SLACK) {
      violated.add(RewriteGuard.NO_FRICTION_REMOVED);
    }
    if (solver.successProbability(target) < solver.successProbability(source) - COMPARISON_SLACK) {
      violated.add(RewriteGuard.EVENTUAL_SUCCESS_WORSE);
    }
    return violated;
  }

  private boolean similar(String source, String target) {
    return UtteranceSimilarity.normalizedEditDistance(source, target) <= settings.maxEditDistance()
        || UtteranceSimilarity.tokenJaccard(source, target) >= settings.minTokenJaccard()
        || (settings.phoneticMatch()
            && UtteranceSimilarity.phoneticKey(source)
                .equals(UtteranceSimilarity.phoneticKey(target)));
  }

  /** Forward push of N(u,·) over the bounded reachable subgraph, times R_S. */
  private Map<Integer, Double> contributions(int source) {
    Expansion expansion = new Expansion(source);
    long pushBudget = 64L * settings.maxExpandedStates();
    while (expansion.queueSize > 0 && pushBudget-- > 0) {
      int i = expansion.poll();
      double mass = expansion.residual[i];
      expansion.residual[i] = 0;
      int state = expansion.ids[i];
      double outgoing = statistics.outgoingCount(state);
      if (outgoing <= 0) {
        expansion.visits[i] += mass;
        continue;
      }
      int selfPosition = statistics.successorIndex(state, state);
      double stay =
          selfPosition < 0 ? 0 : statistics.transitionCount(state, selfPosition) / outgoing;
      // All returns through the self-loop at once: mass·(1 + q + q² + …).
      double through = stay < 1 ? mass / (1 - stay) : mass;
      expansion.visits[i] += through;
      if (expansion.depth[i] >= settings.maxSearchDepth()) {
        continue;
      }
      int childDepth = expansion.depth[i] + 1;
      for (int k = 0, n = statistics.successorCount(state); k < n; k++) {
        int successor = statistics.successorId(state, k);
        if (successor == state) {
          continue;
        }
        int slot = expansion.slotOf(successor, childDepth, settings.maxExpandedStates());
        if (slot >= 0) {
          expansion.push(slot, through * statistics.transitionCount(state, k) / outgoing);
        }
      }
    }
    Map<Integer, Double> contributions = new LinkedHashMap<>();
    for (int i = 0; i < expansion.size; i++) {
      int id = expansion.ids[i];
      contributions.put(id, expansion.visits[i] * statistics.successRate(id));
    }
    return contributions;
  }

  /** The states one search touched: a small open-addressing index and a FIFO of pending mass. */
  private static final class Expansion {
    int size;
    int[] ids = new int[32];
    int[] depth = new int[32];
    double[] visits = new double[32];
    double[] residual = new double[32];
    boolean[] queued = new boolean[32];
    int[] queue = new int[32];
    int queueHead;
    int queueSize;
    private int[] table = new int[64]; // slot + 1, 0 = empty

    Expansion(int source) {
      slotOf(source, 0, Integer.MAX_VALUE);
      push(0, 1);
    }

    /** The slot of {@code state}, admitting it at {@code atDepth} if there is room; else -1. */
    int slotOf(int state, int atDepth, int maxStates) {
      int mask = table.length - 1;
      int position = (state * 0x9E3779B9) >>> 7 & mask;
      for (int entry = table[position]; entry != 0; entry = table[position]) {
        if (ids[entry - 1] == state) {
          return entry - 1;
        }
        position = (position + 1) & mask;
      }
      if (size >= maxStates) {
        return -1;
      }
      int slot = size++;
      if (slot == ids.length) {
        int grown = ids.length * 2;
        ids = Arrays.copyOf(ids, grown);
        depth = Arrays.copyOf(depth, grown);
        visits = Arrays.copyOf(visits, grown);
        residual = Arrays.copyOf(residual, grown);
        queued = Arrays.copyOf(queued, grown);
        int[] ring = new int[grown];
        for (int i = 0; i < queueSize; i++) {
          ring[i] = queue[(queueHead + i) % queue.length];
        }
        queue = ring;
        queueHead = 0;
      }
      ids[slot] = state;
      depth[slot] = atDepth;
      table[position] = slot + 1;
      if (2 * size > table.length) {
        rehash();
      }
      return slot;
    }

    void push(int slot, double mass) {
      residual[slot] += mass;
      if (residual[slot] > PUSH_TOLERANCE && !queued[slot]) {
        queued[slot] = true;
        queue[(queueHead + queueSize) % queue.length] = slot;
        queueSize++;
      }
    }

    int poll() {
      int slot = queue[queueHead];
      queueHead = (queueHead + 1) % queue.length;
      queueSize--;
      queued[slot] = false;
      return slot;
    }

    private void rehash() {
      table = new int[table.length * 2];
      int mask = table.length - 1;
      for (int slot = 0; slot < size; slot++) {
        int position = (ids[slot] * 0x9E3779B9) >>> 7 & mask;
        while (table[position] != 0) {
          position = (position + 1) & mask;
        }
        table[position] = slot + 1;
      }
    }
  }
}
