package io.hindsight.markov;

import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;

/**
 * Single-writer, not thread-safe; bound to one {@link ChainStatistics} instance. The production
 * solver: keeps P_S per state and, after a batch of changed states, runs sparse Gauss–Seidel from
 * those states outwards along a reverse-edge index until every state's residual is below the
 * tolerance. Never builds a matrix; work is proportional to the edges the change actually reaches.
 *
 * <p>Guarantees, for statistics whose every state can reach an absorbing count (always true of
 * {@link ChainStatistics}, where every chain ends absorbed and evicted mass leaks): after {@link
 * #update} returns with {@link #pendingStates()} == 0, |P_S(u) − R_S(u) − Σ Q(u,v)·P_S(v)| ≤
 * tolerance for every u, so P_S is within tolerance·max_u Σ_v N(u,v) of the exact answer.
 *
 * <ul>
 *   <li>A self-loop is solved in closed form (P = (c_S + Σ_{v≠u} c_uv·P_v)/(n − c_uu)), so a state
 *       that users mostly repeat does not converge geometrically slowly.
 *   <li>A state with no outgoing counts, or only a self-loop, has P_S = 0.
 *   <li>Each state carries an upper bound on its residual: reset to 0 when it is relaxed, raised by
 *       Q(p,v)·|ΔP_S(v)| when a successor v moves. A state is queued only once its bound exceeds
 *       the tolerance, so many tiny moves cannot add up to an unbounded residual upstream, and a
 *       predecessor that barely depends on v is not woken by v's small moves.
 *   <li>The reverse-edge index holds, beside each edge p→v, c(p→v) and n(p) as they were when p was
 *       last given as changed, so a move of a hub reads its predecessors' lists and not their rows.
 *       Hence the contract of {@link #update}: every state whose counts or successors changed since
 *       the last call is in {@code changed} (as {@link ChainStatistics#recordChain} and {@link
 *       ChainStatistics#evictColdStates} return them). Edges that disappear (successor or state
 *       eviction) leave the index at the next call, found by comparing a changed state's successors
 *       with those it had when last indexed.
 *   <li>{@code maxRelaxationsPerUpdate} bounds one call's work; what is left stays queued for the
 *       next call ({@link #pendingStates()}).
 * </ul>
 */
public final class IncrementalAbsorptionSolver implements AbsorptionSolver {

  /** Residual below which a state counts as solved. */
  public static final double DEFAULT_TOLERANCE = 1e-12;

  /**
   * Move of P_S since it was last reported above which {@link #update} reports a state. Far coarser
   * than the solve tolerance: on a well-connected graph almost every state moves by 1e-12 after any
   * change, and none of those moves can change a rewrite decision.
   */
  public static final double DEFAULT_REPORT_TOLERANCE = 1e-6;

  private static final int[] NO_PREDECESSORS = new int[0];
  private static final double[] NO_COUNTS = new double[0];

  private final double tolerance;
  private final double reportTolerance;
  private final long maxRelaxationsPerUpdate;

  private ChainStatistics statistics;
  private int capacity;
  private double[] success = new double[0];
  // P_S as last reported: drift made of many sub-threshold moves is still reported once it adds up.
  private double[] reported = new double[0];
  // Upper bound on each state's residual |P − R_S − Σ Q·P|, raised when a successor moves.
  private double[] residualBound = new double[0];
  // predecessors[v]: ascending ids p with an edge p→v, predecessorCounts[v] of them; beside each,
  // c(p→v) and n(p) (edgeCounts, edgeOutgoing). Derived from the statistics: the snapshot keeps
  // only the ids.
  private int[][] predecessors = new int[0][];
  private double[][] edgeCounts = new double[0][];
  private double[][] edgeOutgoing = new double[0][];
  private int[] predecessorCounts = new int[0];
  // indexed[p]: p's successors when it was last indexed, i.e. every v whose list holds p.
  private int[][] indexed = new int[0][];
  private int[] touchedInUpdate = new int[0];
  private int updateNumber;

  private int[] queue = new int[0];
  private int queueHead;
  private int queueSize;
  private long[] queued = new long[0];

  private long relaxations;

  /** The default tolerances, no bound on the work of one update. */
  public IncrementalAbsorptionSolver() {
    this(DEFAULT_TOLERANCE, DEFAULT_REPORT_TOLERANCE, Long.MAX_VALUE);
  }

  /**
   * @param tolerance residual below which a state counts as solved
   * @param reportTolerance move of P_S above which {@link #update} reports a state
   * @param maxRelaxationsPerUpdate work bound of one call; the rest stays queued
   */
  public IncrementalAbsorptionSolver(
      double tolerance, double reportTolerance, long maxRelaxationsPerUpdate) {
    if (!(tolerance > 0 && tolerance < 1e-3)) {
      throw new IllegalArgumentException("tolerance must be in (0, 1e-3): " + tolerance);
    }
    if (!(reportTolerance >= tolerance && reportTolerance < 1)) {
      throw new IllegalArgumentException(
          "reportTolerance must be in [tolerance, 1): " + reportTolerance);
    }
    this.reportTolerance = reportTolerance;
    if (maxRelaxationsPerUpdate < 1) {
      throw new IllegalArgumentException(
          "maxRelaxationsPerUpdate must be positive: " + maxRelaxationsPerUpdate);
    }
    this.tolerance = tolerance;
    this.maxRelaxationsPerUpdate = maxRelaxationsPerUpdate;
  }

  @Override
  public Set<String> update(ChainStatistics statistics, Set<String> changed) {
    return names(updateIds(statistics, changed));
  }

  /**
   * {@link #update}, the moved states as ids of {@code statistics} in the order they first moved:
   * for a caller that goes on with ids, without a set of names.
   */
  public int[] updateIds(ChainStatistics statistics, Collection<String> changed) {
    bind(statistics);
    for (String state : changed) {
      int id = statistics.idOf(state);
      if (id >= 0) {
        indexSuccessors(id);
        enqueue(id);
      }
    }
    return drain();
  }

  private Set<String> names(int[] ids) {
    Set<String> moved = new LinkedHashSet<>();
    for (int id : ids) {
      moved.add(statistics.utterance(id));
    }
    return moved;
  }

  /** Re-solves every state, e.g. after the statistics were restored from a changelog. */
  public Set<String> rebuild(ChainStatistics statistics) {
    bind(statistics);
    for (int id = 0; id < statistics.stateCount(); id++) {
      indexSuccessors(id);
    }
    // Reverse id order: states created late tend to be the ends of chains, closer to absorption.
    for (int id = statistics.stateCount() - 1; id >= 0; id--) {
      enqueue(id);
    }
    return names(drain());
  }

  @Override
  public double successProbability(String state) {
    int id = statistics == null ? -1 : statistics.idOf(state);
    return id < 0 || id >= capacity ? 0 : success[id];
  }

  double successProbability(int id) {
    return id < capacity ? success[id] : 0;
  }

  /** States still queued because the last update hit its relaxation bound. */
  public int pendingStates() {
    return queueSize;
  }

  /** Relaxations (one state's value recomputed) since this solver was created. */
  public long relaxations() {
    return relaxations;
  }

  /**
   * Writes what this solver holds beyond its settings (values, residual bounds, reverse edges and
   * the queue, in order), so that {@link #read} gives a solver that behaves identically.
   */
  public void write(SnapshotOutput out) throws java.io.IOException {
    out.writeInt(capacity);
    out.writeDoubles(success, capacity);
    out.writeDoubles(reported, capacity);
    out.writeDoubles(residualBound, capacity);
    for (int id = 0; id < capacity; id++) {
      out.writeInts(predecessors[id], predecessorCounts[id]);
    }
    int[] pending = new int[queueSize];
    for (int i = 0; i < queueSize; i++) {
      pending[i] = queue[(queueHead + i) % queue.length];
    }
    out.writeInts(pending);
    out.writeLong(relaxations);
  }

  /**
   * Restores what {@link #write} wrote into this new solver, bound to {@code statistics} (restored
   * from the same snapshot).
   */
  public void read(SnapshotInput in, ChainStatistics statistics) throws java.io.IOException {
    if (this.statistics != null || capacity != 0) {
      throw new IllegalStateException("read into a solver that has been used");
    }
    int states = in.readInt();
    if (states < 0) {
      throw new java.io.IOException("solver of " + states + " states");
    }
    this.statistics = statistics;
    ensureCapacity(states);
    success = Arrays.copyOf(in.readDoubles(), capacity);
    reported = Arrays.copyOf(in.readDoubles(), capacity);
    residualBound = Arrays.copyOf(in.readDoubles(), capacity);
    for (int id = 0; id < states; id++) {
      int[] list = in.readInts();
      predecessors[id] = list.length == 0 ? NO_PREDECESSORS : list;
      edgeCounts[id] = list.length == 0 ? NO_COUNTS : new double[list.length];
      edgeOutgoing[id] = list.length == 0 ? NO_COUNTS : new double[list.length];
      predecessorCounts[id] = list.length;
    }
    deriveEdges();
    for (int id : in.readInts()) {
      if (id < 0 || id >= capacity) {
        throw new java.io.IOException("queued state " + id + " beyond " + capacity);
      }
      enqueue(id);
    }
    relaxations = in.readLong();
  }

  private void bind(ChainStatistics statistics) {
    Objects.requireNonNull(statistics, "statistics");
    if (this.statistics == null) {
      this.statistics = statistics;
    } else if (this.statistics != statistics) {
      throw new IllegalArgumentException("this solver is bound to another ChainStatistics");
    }
    ensureCapacity(statistics.stateCount());
    // An evicted id may already hold a new state: start it from nothing, like any new state.
    // Edges into it went with it; its predecessors are among the changed states.
    for (int id : statistics.takeEvictedIds()) {
      for (int successor : indexed[id]) {
        removePredecessor(successor, id);
      }
      indexed[id] = NO_PREDECESSORS;
      success[id] = 0;
      reported[id] = 0;
      residualBound[id] = 0;
      predecessorCounts[id] = 0;
      predecessors[id] = NO_PREDECESSORS;
      edgeCounts[id] = NO_COUNTS;
      edgeOutgoing[id] = NO_COUNTS;
    }
  }

  /**
   * After a snapshot was read: the index as the statistics stand, less the edges that disappeared
   * since it was written (their source is among the changed states still to come, or evicted).
   */
  private void deriveEdges() {
    for (int v = 0; v < capacity; v++) {
      int[] list = predecessors[v];
      int count = predecessorCounts[v];
      int kept = 0;
      for (int i = 0; i < count; i++) {
        int p = list[i];
        int position =
            p < capacity && p < statistics.stateCount() ? statistics.successorIndex(p, v) : -1;
        if (position >= 0) {
          list[kept] = p;
          edgeCounts[v][kept] = statistics.transitionCount(p, position);
          edgeOutgoing[v][kept] = statistics.outgoingCount(p);
          kept++;
          indexed[p] = append(indexed[p], v);
        }
      }
      predecessorCounts[v] = kept;
    }
  }

  private static int[] append(int[] values, int value) {
    int[] grown = Arrays.copyOf(values, values.length + 1);
    grown[values.length] = value;
    return grown;
  }

  private int[] drain() {
    updateNumber++;
    int[] firstChanged = new int[16];
    int touched = 0;
    long budget = maxRelaxationsPerUpdate;
    while (queueSize > 0 && budget-- > 0) {
      int id = dequeue();
      residualBound[id] = 0;
      relaxations++;
      double value = relax(id);
      double delta = value - success[id];
      if (delta == 0) {
        continue;
      }
      if (touchedInUpdate[id] != updateNumber) {
        touchedInUpdate[id] = updateNumber;
        if (touched == firstChanged.length) {
          firstChanged = Arrays.copyOf(firstChanged, touched * 2);
        }
        firstChanged[touched++] = id;
      }
      success[id] = value;
      raisePredecessorBounds(id, Math.abs(delta));
    }
    int moved = 0;
    for (int i = 0; i < touched; i++) {
      int id = firstChanged[i];
      if (Math.abs(success[id] - reported[id]) > reportTolerance) {
        reported[id] = success[id];
        firstChanged[moved++] = id;
      }
    }
    return Arrays.copyOf(firstChanged, moved);
  }

  /** The Gauss–Seidel value of one state from its successors' current values. */
  private double relax(int id) {
    double outgoing = statistics.outgoingCount(id);
    if (outgoing <= 0) {
      return 0;
    }
    double selfCount = 0;
    double sum = statistics.successCount(id);
    for (int i = 0, n = statistics.successorCount(id); i < n; i++) {
      int successor = statistics.successorId(id, i);
      double count = statistics.transitionCount(id, i);
      if (successor == id) {
        selfCount += count;
      } else {
        sum += count * success[successor];
      }
    }
    double remaining = outgoing - selfCount;
    if (remaining <= 0 || sum <= 0) {
      return 0;
    }
    return Math.min(1.0, sum / remaining);
  }

  /**
   * A move of {@code change} at {@code id} raises each predecessor's residual by at most
   * Q(p,id)·change; a predecessor is queued once its accumulated bound exceeds the tolerance.
   */
  private void raisePredecessorBounds(int id, double change) {
    int[] list = predecessors[id];
    double[] counts = edgeCounts[id];
    double[] outgoing = edgeOutgoing[id];
    // Highest id first: the order in which predecessors are queued decides the relaxation order.
    for (int i = predecessorCounts[id] - 1; i >= 0; i--) {
      int predecessor = list[i];
      double bound = residualBound[predecessor] + change * counts[i] / outgoing[i];
      residualBound[predecessor] = bound;
      if (bound > tolerance) {
        enqueue(predecessor);
      }
    }
  }

  /**
   * Brings {@code id}'s entries in its successors' lists up to date with its row: inserted where an
   * edge is new (kept sorted), refreshed where it stays, removed where it disappeared.
   */
  private void indexSuccessors(int id) {
    int n = statistics.successorCount(id);
    int[] current = new int[n];
    double outgoing = statistics.outgoingCount(id);
    for (int i = 0; i < n; i++) {
      int successor = statistics.successorId(id, i);
      current[i] = successor;
      int count = predecessorCounts[successor];
      int position = Arrays.binarySearch(predecessors[successor], 0, count, id);
      if (position < 0) {
        position = -position - 1;
        insertPredecessor(successor, position, id);
      }
      edgeCounts[successor][position] = statistics.transitionCount(id, i);
      edgeOutgoing[successor][position] = outgoing;
    }
    for (int before : indexed[id]) {
      if (indexOf(current, before) < 0) {
        removePredecessor(before, id);
      }
    }
    indexed[id] = n == 0 ? NO_PREDECESSORS : current;
  }

  private void insertPredecessor(int state, int at, int predecessor) {
    int count = predecessorCounts[state];
    if (count == predecessors[state].length) {
      int grown = Math.max(2, count + (count >> 1) + 1);
      predecessors[state] = Arrays.copyOf(predecessors[state], grown);
      edgeCounts[state] = Arrays.copyOf(edgeCounts[state], grown);
      edgeOutgoing[state] = Arrays.copyOf(edgeOutgoing[state], grown);
    }
    int moved = count - at;
    System.arraycopy(predecessors[state], at, predecessors[state], at + 1, moved);
    System.arraycopy(edgeCounts[state], at, edgeCounts[state], at + 1, moved);
    System.arraycopy(edgeOutgoing[state], at, edgeOutgoing[state], at + 1, moved);
    predecessors[state][at] = predecessor;
    predecessorCounts[state] = count + 1;
  }

  private void removePredecessor(int state, int predecessor) {
    int count = predecessorCounts[state];
    int at = Arrays.binarySearch(predecessors[state], 0, count, predecessor);
    if (at < 0) {
      return;
    }
    int moved = count - at - 1;
    System.arraycopy(predecessors[state], at + 1, predecessors[state], at, moved);
    System.arraycopy(edgeCounts[state], at + 1, edgeCounts[state], at, moved);
    System.arraycopy(edgeOutgoing[state], at + 1, edgeOutgoing[state], at, moved);
    predecessorCounts[state] = count - 1;
  }

  private static int indexOf(int[] values, int value) {
    for (int i = 0; i < values.length; i++) {
      if (values[i] == value) {
        return i;
      }
    }
    return -1;
  }

  private void enqueue(int id) {
    long bit = 1L << id;
    if ((queued[id >>> 6] & bit) != 0) {
      return;
    }
    queued[id >>> 6] |= bit;
    int tail = queueHead + queueSize;
    queue[tail >= queue.length ? tail - queue.length : tail] = id;
    queueSize++;
  }

  private int dequeue() {
    int id = queue[queueHead];
    queueHead = queueHead + 1 == queue.length ? 0 : queueHead + 1;
    queueSize--;
    queued[id >>> 6] &= ~(1L << id);
    return id;
  }

  private void ensureCapacity(int states) {
    if (states <= capacity) {
      return;
    }
    int grown = Math.max(states, capacity + (capacity >> 1));
    success = Arrays.copyOf(success, grown);
    reported = Arrays.copyOf(reported, grown);
    residualBound = Arrays.copyOf(residualBound, grown);
    predecessors = Arrays.copyOf(predecessors, grown);
    Arrays.fill(predecessors, capacity, grown, NO_PREDECESSORS);
    edgeCounts = Arrays.copyOf(edgeCounts, grown);
    Arrays.fill(edgeCounts, capacity, grown, NO_COUNTS);
    edgeOutgoing = Arrays.copyOf(edgeOutgoing, grown);
    Arrays.fill(edgeOutgoing, capacity, grown, NO_COUNTS);
    indexed = Arrays.copyOf(indexed, grown);
    Arrays.fill(indexed, capacity, grown, NO_PREDECESSORS);
    predecessorCounts = Arrays.copyOf(predecessorCounts, grown);
    touchedInUpdate = Arrays.copyOf(touchedInUpdate, grown);
    queued = Arrays.copyOf(queued, (grown + 63) >>> 6);
    // Unroll the ring into a larger one so that every state can be queued at once.
    int[] ring = new int[grown];
    for (int i = 0; i < queueSize; i++) {
      ring[i] = queue[(queueHead + i) % queue.length];
    }
    queue = ring;
    queueHead = 0;
    capacity = grown;
  }
}
