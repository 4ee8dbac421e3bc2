package io.hindsight.markov;

import java.util.Arrays;
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
 *   <li>The reverse-edge index only grows when edges appear; edges that disappeared (eviction) are
 *       pruned lazily when walked.
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
  private int[][] predecessors = new int[0][];
  private int[] predecessorCounts = new int[0];
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
    return drain();
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
      predecessorCounts[id] = list.length;
    }
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
    // An evicted id may already hold a new state: start it from nothing, like any new state. Its
    // stale entries in successors' predecessor lists are pruned when walked.
    for (int id : statistics.takeEvictedIds()) {
      success[id] = 0;
      reported[id] = 0;
      residualBound[id] = 0;
      predecessorCounts[id] = 0;
      predecessors[id] = NO_PREDECESSORS;
    }
  }

  private Set<String> drain() {
    updateNumber++;
    Set<String> moved = new LinkedHashSet<>();
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
    for (int i = 0; i < touched; i++) {
      int id = firstChanged[i];
      if (Math.abs(success[id] - reported[id]) > reportTolerance) {
        reported[id] = success[id];
        moved.add(statistics.utterance(id));
      }
    }
    return moved;
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
    int count = predecessorCounts[id];
    // Backwards, so that pruning a stale edge does not skip the next one.
    for (int i = count - 1; i >= 0; i--) {
      int predecessor = list[i];
      int position = statistics.successorIndex(predecessor, id);
      if (position < 0) {
        System.arraycopy(list, i + 1, list, i, count - i - 1);
        count--;
        continue;
      }
      double bound =
          residualBound[predecessor]
              + change
                  * statistics.transitionCount(predecessor, position)
                  / statistics.outgoingCount(predecessor);
      residualBound[predecessor] = bound;
      if (bound > tolerance) {
        enqueue(predecessor);
      }
    }
    predecessorCounts[id] = count;
  }

  /** Records {@code id} as a predecessor of each of its successors (sorted, no duplicates). */
  private void indexSuccessors(int id) {
    for (int i = 0, n = statistics.successorCount(id); i < n; i++) {
      int successor = statistics.successorId(id, i);
      int[] list = predecessors[successor];
      int count = predecessorCounts[successor];
      int position = Arrays.binarySearch(list, 0, count, id);
      if (position >= 0) {
        continue;
      }
      int insertAt = -position - 1;
      if (count == list.length) {
        list = Arrays.copyOf(list, Math.max(2, count + (count >> 1) + 1));
        predecessors[successor] = list;
      }
      System.arraycopy(list, insertAt, list, insertAt + 1, count - insertAt);
      list[insertAt] = id;
      predecessorCounts[successor] = count + 1;
    }
  }

  private void enqueue(int id) {
    long bit = 1L << id;
    if ((queued[id >>> 6] & bit) != 0) {
      return;
    }
    queued[id >>> 6] |= bit;
    queue[(queueHead + queueSize) % queue.length] = id;
    queueSize++;
  }

  private int dequeue() {
    int id = queue[queueHead];
    queueHead = (queueHead + 1) % queue.length;
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
