package io.hindsight.markov;

import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Single-writer, not thread-safe. The dense test oracle: builds I−Q and R for every state and
 * solves (I−Q)·[B | N] = [R | I] by Gaussian elimination with partial pivoting, giving P_S for
 * every state and the full fundamental matrix N = (I−Q)^{-1}. O(n³) time and O(n²) memory, so it
 * refuses graphs above {@link #MAX_STATES} states; production uses {@link
 * IncrementalAbsorptionSolver}.
 *
 * <p>States that cannot reach an absorbing count (a closed class of transient states) are left out
 * of the system: their P_S is 0, which is the minimal solution, and visits to them are not
 * represented in N.
 */
public final class ExactAbsorptionSolver implements AbsorptionSolver {

  /** Largest graph the dense oracle accepts. */
  public static final int MAX_STATES = 1000;

  private static final double TOLERANCE = 1e-12;

  private ChainStatistics statistics;
  private double[] successById = new double[0];
  private int[] rowById = new int[0];
  private double[][] visits = new double[0][];

  /** Solves from scratch and returns {@code this}, for one-shot use as an oracle. */
  public ExactAbsorptionSolver solve(ChainStatistics statistics) {
    update(statistics, Set.of());
    return this;
  }

  /** Re-solves the whole graph; {@code changed} is ignored. */
  @Override
  public Set<String> update(ChainStatistics statistics, Set<String> changed) {
    int n = statistics.stateCount();
    if (n > MAX_STATES) {
      throw new IllegalArgumentException(
          "the dense oracle solves at most " + MAX_STATES + " states, got " + n);
    }
    boolean[] absorbable = absorbableStates(statistics);
    int[] rows = new int[n];
    int m = 0;
    for (int id = 0; id < n; id++) {
      rows[id] = absorbable[id] ? m++ : -1;
    }
    double[][] system = new double[m][m];
    double[][] rightHandSide = new double[m][m + 1];
    for (int id = 0; id < n; id++) {
      int row = rows[id];
      if (row < 0) {
        continue;
      }
      system[row][row] += 1;
      rightHandSide[row][row + 1] = 1;
      double outgoing = statistics.outgoingCount(id);
      if (outgoing <= 0) {
        continue;
      }
      rightHandSide[row][0] = statistics.successCount(id) / outgoing;
      for (int i = 0; i < statistics.successorCount(id); i++) {
        int column = rows[statistics.successorId(id, i)];
        if (column >= 0) {
          system[row][column] -= statistics.transitionCount(id, i) / outgoing;
        }
      }
    }
    double[][] solution = solveGaussian(system, rightHandSide);

    double[] success = new double[n];
    double[][] fundamental = new double[m][];
    for (int id = 0; id < n; id++) {
      int row = rows[id];
      if (row >= 0) {
        success[id] = solution[row][0];
        fundamental[row] = Arrays.copyOfRange(solution[row], 1, m + 1);
      }
    }
    Set<String> moved = new LinkedHashSet<>();
    for (int id = 0; id < n; id++) {
      double before = id < successById.length ? successById[id] : 0;
      if (Math.abs(success[id] - before) > TOLERANCE) {
        moved.add(statistics.utterance(id));
      }
    }
    this.statistics = statistics;
    this.successById = success;
    this.rowById = rows;
    this.visits = fundamental;
    return moved;
  }

  @Override
  public double successProbability(String state) {
    int id = statistics == null ? -1 : statistics.idOf(state);
    return id < 0 || id >= successById.length ? 0 : successById[id];
  }

  /**
   * N(from, to): the expected number of visits to {@code to} starting from {@code from} (counting
   * the start), 0 when either is unknown or excluded.
   */
  public double expectedVisits(String from, String to) {
    if (statistics == null) {
      return 0;
    }
    int u = statistics.idOf(from);
    int v = statistics.idOf(to);
    if (u < 0 || v < 0 || u >= rowById.length || v >= rowById.length) {
      return 0;
    }
    int row = rowById[u];
    int column = rowById[v];
    return row < 0 || column < 0 ? 0 : visits[row][column];
  }

  /** States with a path to SUCCESS, FAILURE, evicted mass, or no outgoing counts at all. */
  private static boolean[] absorbableStates(ChainStatistics statistics) {
    int n = statistics.stateCount();
    int[] predecessorCounts = new int[n];
    for (int id = 0; id < n; id++) {
      for (int i = 0; i < statistics.successorCount(id); i++) {
        predecessorCounts[statistics.successorId(id, i)]++;
      }
    }
    int[][] predecessors = new int[n][];
    for (int id = 0; id < n; id++) {
      predecessors[id] = new int[predecessorCounts[id]];
      predecessorCounts[id] = 0;
    }
    for (int id = 0; id < n; id++) {
      for (int i = 0; i < statistics.successorCount(id); i++) {
        int target = statistics.successorId(id, i);
        predecessors[target][predecessorCounts[target]++] = id;
      }
    }
    boolean[] absorbable = new boolean[n];
    int[] queue = new int[n];
    int tail = 0;
    for (int id = 0; id < n; id++) {
      if (absorbsDirectly(statistics, id)) {
        absorbable[id] = true;
        queue[tail++] = id;
      }
    }
    for (int head = 0; head < tail; head++) {
      for (int predecessor : predecessors[queue[head]]) {
        if (!absorbable[predecessor]) {
          absorbable[predecessor] = true;
          queue[tail++] = predecessor;
        }
      }
    }
    return absorbable;
  }

  private static boolean absorbsDirectly(ChainStatistics statistics, int id) {
    double outgoing = statistics.outgoingCount(id);
    if (outgoing <= 0 || statistics.successCount(id) + statistics.failureCount(id) > 0) {
      return true;
    }
    double kept = 0;
    for (int i = 0; i < statistics.successorCount(id); i++) {
      kept += statistics.transitionCount(id, i);
    }
    return outgoing - kept > 1e-9 * outgoing;
  }

  /** Solves A·X = B in place by Gaussian elimination with partial pivoting; returns X. */
  static double[][] solveGaussian(double[][] a, double[][] b) {
    int m = a.length;
    int width = m == 0 ? 0 : b[0].length;
    for (int column = 0; column < m; column++) {
      int pivot = column;
      for (int row = column + 1; row < m; row++) {
        if (Math.abs(a[row][column]) > Math.abs(a[pivot][column])) {
          pivot = row;
        }
      }
      if (Math.abs(a[pivot][column]) < 1e-300) {
        throw new ArithmeticException("singular system at column " + column);
      }
      swap(a, column, pivot);
      swap(b, column, pivot);
      double[] pivotRow = a[column];
      double[] pivotRhs = b[column];
      for (int row = column + 1; row < m; row++) {
        double factor = a[row][column] / pivotRow[column];
        if (factor == 0) {
          continue; // the matrices here are sparse: most rows need no elimination step
        }
        double[] target = a[row];
        for (int k = column; k < m; k++) {
          target[k] -= factor * pivotRow[k];
        }
        double[] targetRhs = b[row];
        for (int k = 0; k < width; k++) {
          targetRhs[k] -= factor * pivotRhs[k];
        }
      }
    }
    double[][] x = new double[m][width];
    for (int row = m - 1; row >= 0; row--) {
      double[] sums = b[row].clone();
      for (int k = row + 1; k < m; k++) {
        double coefficient = a[row][k];
        if (coefficient != 0) {
          for (int c = 0; c < width; c++) {
            sums[c] -= coefficient * x[k][c];
          }
        }
      }
      for (int c = 0; c < width; c++) {
        x[row][c] = sums[c] / a[row][row];
      }
    }
    return x;
  }

  private static void swap(double[][] rows, int i, int j) {
    if (i != j) {
      double[] held = rows[i];
      rows[i] = rows[j];
      rows[j] = held;
    }
  }
}
