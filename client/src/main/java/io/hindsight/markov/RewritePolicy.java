package io.hindsight.markov;

import java.util.Arrays;
import java.util.Collection;
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
 * <p><b>Bounded work.</b> A decision pushes in rounds (256 pushes, then 8 times more each round, up
 * to {@link RewriteSettings#maxPushes()}) and stops as soon as its winner is certain: the mass not
 * yet spread bounds what any contribution still lacks (Σ_v N(w,v)·R_S(v) = P_S(w) ≤ 1), so a winner
 * ahead of every other possible target by more than that is the complete search's winner. Only a
 * decision that reaches the bound first can differ; {@link #uncertainDecisions()} counts those. The
 * work of a decision therefore depends on the budget, not on the vocabulary. The push order (FIFO
 * over successors in their stored order) depends only on the statistics, so every replica decides
 * identically.
 *
 * <p>Distinct-user support is taken on the direct reformulation u→v, so a target reached only
 * through intermediate states (no user ever went straight from u to v) is refused; intermediate
 * paths still raise N(u,v) for a direct successor.
 */
public final class RewritePolicy {

  private static final double PUSH_TOLERANCE = 1e-12;
  // Most decisions are certain after a few hundred pushes; uncertain ones get 8 times more, up to
  // the configured budget.
  private static final long FIRST_PUSH_BUDGET = 256;
  // A tiny allowance so that equal probabilities computed in different orders are not refused.
  private static final double COMPARISON_SLACK = 1e-12;

  private final RewriteSettings settings;
  private final ChainStatistics statistics;
  private final AbsorptionSolver solver;
  private final LiveRules liveRules;
  private final Expansion expansion = new Expansion();
  private final SimilarityVerdicts similarity = new SimilarityVerdicts();
  private long decisions;
  private long uncertainDecisions;
  private long pushes;

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
   * The states among {@code changed} (names) and {@code moved} (ids of the statistics, as {@link
   * IncrementalAbsorptionSolver#updateIds} gives them) that are worth asking {@link #choose} about,
   * sorted and distinct: a live rule's source (its rule may have to go), or a state that passes the
   * source guards no rule change can lift (not blocked, enough distinct users). For any other state
   * {@code choose} is empty and there is no rule to withdraw, so leaving it out changes nothing.
   */
  public List<String> candidates(Collection<String> changed, int[] moved) {
    String[] names = new String[changed.size() + moved.length];
    int count = 0;
    for (String state : changed) {
      int u = statistics.idOf(state);
      if ((u >= 0 && mayChoose(state, u)) || liveRules.isLiveSource(state)) {
        names[count++] = state;
      }
    }
    for (int u : moved) {
      String state = statistics.utterance(u);
      if (state != null && (mayChoose(state, u) || liveRules.isLiveSource(state))) {
        names[count++] = state;
      }
    }
    Arrays.sort(names, 0, count);
    int distinct = 0;
    for (int i = 0; i < count; i++) {
      if (distinct == 0 || !names[i].equals(names[distinct - 1])) {
        names[distinct++] = names[i];
      }
    }
    return Arrays.asList(names).subList(0, distinct);
  }

  /**
   * Whether {@code source} (id {@code u}) passes the source guards that live rules do not touch.
   */
  private boolean mayChoose(String source, int u) {
    return statistics.distinctUsers(u) >= settings.minSourceUsers()
        && !settings.blockList().contains(source);
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
    int eligibleCount = 0;
    int successors = statistics.successorCount(u);
    int[] eligible = new int[successors];
    for (int k = 0; k < successors; k++) {
      int v = statistics.successorId(u, k);
      if (v != u && cheapTargetGuards(source, u, statistics.utterance(v), v).isEmpty()) {
        eligible[eligibleCount++] = v;
      }
    }
    if (eligibleCount == 0) {
      return Optional.empty();
    }
    decisions++;
    expansion.start(u);
    long budget = Math.min(FIRST_PUSH_BUDGET, settings.maxPushes());
    while (true) {
      push(budget);
      Decision decision = decide(source, u, eligible, eligibleCount);
      if (decision.certain() || budget >= settings.maxPushes()) {
        if (!decision.certain()) {
          uncertainDecisions++;
        }
        pushes += expansion.pushes;
        return decision.rule();
      }
      budget = Math.min(settings.maxPushes(), budget * 8);
    }
  }

  /**
   * The winner among the eligible direct successors on the current partial push, and whether it is
   * certain: every contribution the push has not found yet is at most the mass it left behind
   * ({@link Expansion#leftover()}), since Σ_v N(w,v)·R_S(v) = P_S(w) ≤ 1 for every w. The winner is
   * certain when no other eligible target could overtake it with that much more, so it is the one
   * the complete push would pick.
   */
  private Decision decide(String source, int u, int[] eligible, int eligibleCount) {
    double leftover = expansion.leftover();
    Integer[] ranked = new Integer[eligibleCount];
    double[] contribution = new double[eligibleCount];
    for (int i = 0; i < eligibleCount; i++) {
      ranked[i] = i;
      contribution[i] = expansion.contribution(eligible[i]);
    }
    Arrays.sort(
        ranked,
        Comparator.<Integer>comparingDouble(i -> -contribution[i])
            .thenComparing(i -> statistics.utterance(eligible[i])));
    for (int r = 0; r < eligibleCount; r++) {
      int i = ranked[r];
      int v = eligible[i];
      if (contribution[i] <= 0) {
        // Not reached yet: the complete push might still find success through it.
        return new Decision(
            Optional.empty(), leftover == 0 || !anyCanWin(source, u, eligible, ranked, r));
      }
      String target = statistics.utterance(v);
      if (targetGuards(source, u, target, v).isEmpty()) {
        boolean certain = true;
        for (int q = r + 1; q < eligibleCount && certain && leftover > 0; q++) {
          int other = ranked[q];
          certain =
              contribution[other] + leftover < contribution[i] - COMPARISON_SLACK
                  || !canWin(source, u, eligible[other]);
        }
        double sourceEventual = solver.successProbability(source);
        double confidence = sourceEventual > 0 ? Math.min(1, contribution[i] / sourceEventual) : 0;
        return new Decision(
            Optional.of(
                new RewriteRule(
                    source,
                    target,
                    confidence,
                    statistics.successRate(u),
                    statistics.successRate(v),
                    statistics.distinctTransitionUsers(u, statistics.successorIndex(u, v)),
                    0,
                    0)),
            certain);
      }
    }
    return new Decision(Optional.empty(), true);
  }

  private boolean anyCanWin(String source, int u, int[] eligible, Integer[] ranked, int from) {
    for (int q = from; q < ranked.length; q++) {
      if (canWin(source, u, eligible[ranked[q]])) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether target v could ever be chosen: success through it is possible and it passes every
   * guard.
   */
  private boolean canWin(String source, int u, int v) {
    return statistics.successRate(v) > 0
        && targetGuards(source, u, statistics.utterance(v), v).isEmpty();
  }

  private record Decision(Optional<RewriteRule> rule, boolean certain) {}

  /** Searches started by {@link #choose} so far (those with at least one eligible target). */
  public long decisions() {
    return decisions;
  }

  /** Decisions that hit {@link RewriteSettings#maxPushes()} before their winner was certain. */
  public long uncertainDecisions() {
    return uncertainDecisions;
  }

  /** Pushes done by every decision so far: the work of the policy. */
  public long pushes() {
    return pushes;
  }

  /** Writes the policy's counters; a search keeps nothing from one decision to the next. */
  public void write(SnapshotOutput out) throws java.io.IOException {
    out.writeLong(decisions);
    out.writeLong(uncertainDecisions);
    out.writeLong(pushes);
  }

  public void read(SnapshotInput in) throws java.io.IOException {
    decisions = in.readLong();
    uncertainDecisions = in.readLong();
    pushes = in.readLong();
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

  /**
   * N(u,v)·R_S(v) for every state v the search reached from {@code source}, u included, with the
   * whole push budget {@link RewriteSettings#maxPushes()}.
   */
  public Map<String, Double> successContributions(String source) {
    int u = statistics.idOf(source);
    if (u < 0) {
      return Map.of();
    }
    expansion.start(u);
    push(settings.maxPushes());
    Map<String, Double> named = new LinkedHashMap<>();
    for (int i = 0; i < expansion.size; i++) {
      int id = expansion.ids[i];
      named.put(statistics.utterance(id), expansion.visits[i] * statistics.successRate(id));
    }
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
    if (violated.isEmpty() && settings.similarityGuard() && !similarity.similar(u, v)) {
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

  /**
   * The similarity guard's verdicts by pair of state ids: the same pairs come up at decision after
   * decision, and a verdict depends only on the two names, which an id keeps until it is evicted.
   * Forgotten whenever the statistics evict (an id may then name another state), and when full.
   */
  private final class SimilarityVerdicts {
    private static final int MAX_PAIRS = 1 << 20;
    private long[] pairs = new long[1024]; // (u << 32 | v) + 1; 0 = empty
    private boolean[] verdicts = new boolean[1024];
    private int size;
    private long evictionsSeen;

    boolean similar(int u, int v) {
      if (statistics.evictions() != evictionsSeen || size >= MAX_PAIRS) {
        evictionsSeen = statistics.evictions();
        clear();
      }
      long pair = ((long) u << 32 | v) + 1;
      int mask = pairs.length - 1;
      int slot = (int) (pair * 0x9E3779B97F4A7C15L >>> 40) & mask;
      for (; pairs[slot] != 0; slot = (slot + 1) & mask) {
        if (pairs[slot] == pair) {
          return verdicts[slot];
        }
      }
      boolean verdict =
          RewritePolicy.this.similar(statistics.utterance(u), statistics.utterance(v));
      pairs[slot] = pair;
      verdicts[slot] = verdict;
      if (2 * ++size > pairs.length) {
        grow();
      }
      return verdict;
    }

    private void clear() {
      if (size > 0) {
        Arrays.fill(pairs, 0);
        size = 0;
      }
    }

    private void grow() {
      long[] oldPairs = pairs;
      boolean[] oldVerdicts = verdicts;
      pairs = new long[oldPairs.length * 2];
      verdicts = new boolean[pairs.length];
      int mask = pairs.length - 1;
      for (int i = 0; i < oldPairs.length; i++) {
        if (oldPairs[i] != 0) {
          int slot = (int) (oldPairs[i] * 0x9E3779B97F4A7C15L >>> 40) & mask;
          while (pairs[slot] != 0) {
            slot = (slot + 1) & mask;
          }
          pairs[slot] = oldPairs[i];
          verdicts[slot] = oldVerdicts[i];
        }
      }
    }
  }

  /**
   * Continues the forward push of N(u,·) until nothing above the tolerance is left or {@code
   * budget} pushes were done in all. Resumable: a decision that is not yet certain continues where
   * it stopped.
   */
  private void push(long budget) {
    while (expansion.queueSize > 0 && expansion.pushes < budget) {
      expansion.pushes++;
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
        double share = through * statistics.transitionCount(state, k) / outgoing;
        if (slot >= 0) {
          expansion.push(slot, share);
        } else {
          expansion.dropped += share;
        }
      }
    }
  }

  /**
   * The states one search touched: a small open-addressing index and a FIFO of pending mass. Reused
   * from one search to the next (only the touched entries are cleared), so a decision allocates
   * nothing once the arrays have grown to the largest search.
   */
  private final class Expansion {
    int size;
    long pushes;
    double dropped;
    int[] ids = new int[32];
    int[] tablePosition = new int[32];
    int[] depth = new int[32];
    double[] visits = new double[32];
    double[] residual = new double[32];
    boolean[] queued = new boolean[32];
    int[] queue = new int[32];
    int queueHead;
    int queueSize;
    private int[] table = new int[64]; // slot + 1, 0 = empty

    void start(int source) {
      for (int i = 0; i < size; i++) {
        table[tablePosition[i]] = 0;
        visits[i] = 0;
        residual[i] = 0;
        queued[i] = false;
      }
      size = 0;
      queueHead = 0;
      queueSize = 0;
      pushes = 0;
      dropped = 0;
      slotOf(source, 0, Integer.MAX_VALUE);
      push(0, 1);
    }

    /**
     * Mass the push has not spread yet (pending, or below the tolerance) plus mass refused by the
     * state cap: an upper bound on what any contribution still lacks.
     */
    double leftover() {
      double left = dropped;
      for (int i = 0; i < size; i++) {
        left += residual[i];
      }
      return left;
    }

    /** N(u,v)·R_S(v) found so far for {@code state}; 0 if the push has not reached it. */
    double contribution(int state) {
      int mask = table.length - 1;
      for (int position = hash(state) & mask; ; position = (position + 1) & mask) {
        int entry = table[position];
        if (entry == 0) {
          return 0;
        }
        if (ids[entry - 1] == state) {
          return visits[entry - 1] * statistics.successRate(state);
        }
      }
    }

    /** The slot of {@code state}, admitting it at {@code atDepth} if there is room; else -1. */
    int slotOf(int state, int atDepth, int maxStates) {
      int mask = table.length - 1;
      int position = hash(state) & mask;
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
        tablePosition = Arrays.copyOf(tablePosition, grown);
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
      tablePosition[slot] = position;
      if (2 * size > table.length) {
        rehash();
      }
      return slot;
    }

    void push(int slot, double mass) {
      residual[slot] += mass;
      if (residual[slot] > PUSH_TOLERANCE && !queued[slot]) {
        queued[slot] = true;
        int tail = queueHead + queueSize;
        queue[tail >= queue.length ? tail - queue.length : tail] = slot;
        queueSize++;
      }
    }

    int poll() {
      int slot = queue[queueHead];
      queueHead = queueHead + 1 == queue.length ? 0 : queueHead + 1;
      queueSize--;
      queued[slot] = false;
      return slot;
    }

    private static int hash(int state) {
      return (state * 0x9E3779B9) >>> 7;
    }

    private void rehash() {
      table = new int[table.length * 2];
      int mask = table.length - 1;
      for (int slot = 0; slot < size; slot++) {
        int position = hash(ids[slot]) & mask;
        while (table[position] != 0) {
          position = (position + 1) & mask;
        }
        table[position] = slot + 1;
        tablePosition[slot] = position;
      }
    }
  }
}
