package io.hindsight.loadtests;

import io.hindsight.markov.ChainOutcome;
import io.hindsight.markov.ChainSettings;
import io.hindsight.markov.ChainStatistics;
import io.hindsight.markov.IncrementalAbsorptionSolver;
import io.hindsight.markov.LiveRules;
import io.hindsight.markov.RewritePolicy;
import io.hindsight.markov.RewriteRule;
import io.hindsight.markov.RewriteSettings;
import java.lang.management.ManagementFactory;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Loop B on a graph of one million states: counting one turn, and the incremental absorption solve
 * after a batch of changed states. Run: see load-tests/README.md, section "Chain benchmarks".
 */
@BenchmarkMode(Mode.AverageTime)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms6g", "-Xmx6g", "-XX:+UseParallelGC"})
public class ChainBenchmark {

  private static final int CHAIN_TURNS = 3;
  private static final int CLUSTER = 16;
  private static final int HUBS = 100;

  /** A reformulation graph with {@code states} states, solved once. Shared by all threads. */
  @State(Scope.Benchmark)
  public static class Graph {
    @Param("1000000")
    public int states;

    /**
     * {@code clusters}: intents of 16 reformulations; 3 % of steps go to one of 100 hub states
     * ("stop", "help") whose own successors stay among the hubs. {@code small-world}: the same,
     * plus 1 % of steps jump to any state, which joins everything into one strongly connected
     * component, so a change reaches every state at the 1e-12 level.
     */
    @Param({"clusters", "small-world"})
    public String shape;

    /** Solve tolerance: 1e-12 is what the tests hold the solver to; decisions need far less. */
    @Param("1e-12")
    public double tolerance;

    long updates;
    long relaxationsBeforeUpdates;

    ChainStatistics statistics;
    IncrementalAbsorptionSolver solver;
    RewritePolicy policy;
    String[] names;
    final SplittableRandom random = new SplittableRandom(42);
    long clock;

    @Setup(Level.Trial)
    public void build() {
      names = new String[states];
      for (int i = 0; i < states; i++) {
        names[i] = "play song number " + i;
      }
      long before = usedHeap();
      statistics =
          new ChainStatistics(ChainSettings.defaults().withExpectedStates(states));
      // About 2.5 chains per state: every state is said, most are reformulated a few ways.
      for (int i = 0; i < 5 * states / 2; i++) {
        record(random.nextInt(states), i);
      }
      long afterStatistics = usedHeap();
      solver =
          new IncrementalAbsorptionSolver(
              tolerance,
              Math.max(tolerance, IncrementalAbsorptionSolver.DEFAULT_REPORT_TOLERANCE),
              Long.MAX_VALUE);
      long start = System.nanoTime();
      solver.rebuild(statistics);
      long rebuildMillis = (System.nanoTime() - start) / 1_000_000;
      long afterSolver = usedHeap();
      relaxationsBeforeUpdates = solver.relaxations();
      policy =
          new RewritePolicy(
              RewriteSettings.defaults().withMinUsers(2, 2), statistics, solver, LiveRules.NONE);
      System.out.printf(
          "%n[chain] %s, %,d states: statistics %.0f B/state, solver %.0f B/state, full rebuild %,d"
              + " ms%n",
          shape,
          statistics.stateCount(),
          (afterStatistics - before) / (double) statistics.stateCount(),
          (afterSolver - afterStatistics) / (double) statistics.stateCount(),
          rebuildMillis);
    }

    /** A chain of 1 to {@link #CHAIN_TURNS} turns starting at {@code first}, shaped by {@link #shape}. */
    Set<String> record(int first, long user) {
      int length = 1 + random.nextInt(CHAIN_TURNS);
      String[] turns = new String[length];
      int state = first;
      int last = first;
      for (int t = 0; t < length; t++) {
        turns[t] = names[state];
        last = state;
        state = next(state);
      }
      ChainOutcome outcome =
          random.nextInt(100) < 20 + (last % 70) ? ChainOutcome.SUCCESS : ChainOutcome.FAILURE;
      clock += 50;
      return statistics.recordChain("user-" + (user % 200_000), List.of(turns), outcome, clock);
    }

    private int next(int state) {
      int draw = random.nextInt(100);
      if (draw < 3) {
        return random.nextInt(HUBS);
      }
      if (draw < 4 && shape.equals("small-world")) {
        return random.nextInt(states);
      }
      return (state / CLUSTER) * CLUSTER + random.nextInt(CLUSTER);
    }

    @TearDown(Level.Trial)
    public void report() {
      if (updates > 0) {
        System.out.printf(
            "%n[chain] %s: %,d relaxations per incremental update (%d updates)%n",
            shape, (solver.relaxations() - relaxationsBeforeUpdates) / updates, updates);
      }
    }

    private static long usedHeap() {
      for (int i = 0; i < 3; i++) {
        System.gc();
      }
      return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
  }

  /** A batch of changed states recorded (untimed) before each solve. */
  @State(Scope.Thread)
  public static class ChangeBatch {
    @Param("1000")
    public int changedStates;

    Set<String> changed;

    @Setup(Level.Invocation)
    public void recordBatch(Graph graph) {
      changed = new LinkedHashSet<>();
      long user = 0;
      while (changed.size() < changedStates) {
        changed.addAll(graph.record(graph.random.nextInt(graph.states), user++));
      }
    }
  }

  /** Counting one organic turn (normalization, interning, counts, user sketches). */
  @Benchmark
  @OperationsPerInvocation(2) // chains are 1..3 turns, 2 on average
  @OutputTimeUnit(TimeUnit.NANOSECONDS)
  public Set<String> recordTurn(Graph graph) {
    return graph.record(graph.random.nextInt(graph.states), graph.random.nextInt(1 << 20));
  }

  /** Bringing P_S up to date after {@code changedStates} states changed. */
  @Benchmark
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public Set<String> solveAfterBatch(Graph graph, ChangeBatch batch) {
    graph.updates++;
    return graph.solver.update(graph.statistics, batch.changed);
  }

  /** Choosing the rewrite target of one source (sparse N row, guards). */
  @Benchmark
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public Optional<RewriteRule> chooseTarget(Graph graph) {
    return graph.policy.choose(graph.names[graph.random.nextInt(graph.states)]);
  }
}
