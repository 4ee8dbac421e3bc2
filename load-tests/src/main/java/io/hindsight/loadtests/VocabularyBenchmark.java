package io.hindsight.loadtests;

import io.hindsight.config.HindsightConfig;
import io.hindsight.datasets.SessionSimulator;
import io.hindsight.datasets.SimulatedTurn;
import io.hindsight.rewrite.Reformulation;
import io.hindsight.rewrite.RewriteLoopSettings;
import io.hindsight.rewrite.RewriteReplica;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Per-turn cost of the rewrite replica (chain counts, incremental absorption, rule decisions at
 * every 10 s boundary of log time) at a given vocabulary: the replica first holds every utterance
 * of a simulated world of {@code vocabulary} distinct utterances (each catalog utterance said once,
 * each systematic misrecognition once followed by its correction), then sessions of that world,
 * Zipf-popular with a long tail of one-off misrecognitions, are applied. One operation is one turn
 * (the log's chains are applied in batches and the time divided by their turns). Defaults of
 * {@link HindsightConfig}. Run: see load-tests/results/vocabulary.md.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(java.util.concurrent.TimeUnit.MICROSECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 10)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms6g", "-Xmx6g", "-XX:+UseParallelGC"})
public class VocabularyBenchmark {

  /** Chains applied per measured iteration. */
  static final int BATCH = 20_000;

  /** Chains applied untimed before measuring, so hubs and rules exist as in a running service. */
  static final int WARM_CHAINS = 100_000;

  @State(Scope.Benchmark)
  public static class Replica {
    @Param({"1000", "10000", "100000", "1000000"})
    public int vocabulary;

    @Param("/work/shared/data")
    public String data;

    @Param("push-bounded")
    public String search;

    RewriteReplica replica;
    List<Reformulation> traffic;
    int next;
    long turnsInBatch;

    @Setup(Level.Trial)
    public void build() throws IOException {
      Map<String, String> flags = new HashMap<>();
      if (search.equals("unbounded")) {
        flags.put(HindsightConfig.REWRITE_SEARCH_MAX_PUSHES, "640000");
      }
      replica =
          new RewriteReplica(RewriteLoopSettings.from(HindsightConfig.load(null, Map.of(), flags)));
      replica.open();
      SessionSimulator world =
          SessionSimulator.builder()
              .utterances(Path.of(data, "utterances/snips-2017-utterances.tsv"))
              .misspellings(Path.of(data, "misspellings/codespell-dictionary.txt"))
              .catalogSize(vocabulary)
              .splice(true)
              .users(5_000)
              .days(60)
              .rareMisrecognitionProbability(0.05)
              .seed(42)
              .build();
      long before = SessionSimulator.DEFAULT_START_MILLIS - 86_400_000L;
      int user = 0;
      for (String utterance : world.catalogUtterances()) {
        replica.apply(Reformulation.chain("seed-" + (user++ % 1000), before, List.of(utterance), true));
      }
      for (Map.Entry<String, String> pair : world.truth().entrySet()) {
        replica.apply(
            Reformulation.chain(
                "seed-" + (user++ % 1000), before, List.of(pair.getKey(), pair.getValue()), true));
      }
      // Settle the bulk load (one decision over every state) so that it is not measured as traffic.
      do {
        replica.decideNow();
      } while (replica.pendingSolverStates() > 0);
      int measured = BATCH * (3 + 10);
      traffic = chains(world.turns(), WARM_CHAINS + measured);
      for (int i = 0; i < WARM_CHAINS; i++) {
        replica.apply(traffic.get(i));
      }
      next = WARM_CHAINS;
      System.out.printf(
          "%nvocabulary %d: %d states in the replica after warm-up, %d live rules%n",
          vocabulary, replica.states(), replica.liveRules().size());
    }

    @Setup(Level.Iteration)
    public void countTurns() {
      turnsInBatch = 0;
      for (int i = next; i < next + BATCH; i++) {
        turnsInBatch += traffic.get(i).utterances().size();
      }
    }
  }

  /**
   * One batch of {@link #BATCH} chains; JMH reports the batch's time, {@code results/vocabulary.md}
   * divides it by the batch's turns (printed).
   */
  @Benchmark
  public int applyBatch(Replica state) {
    // Thread CPU time as well as JMH's wall time: on a shared machine the wall time mostly
    // measures the other tenants.
    long cpuBefore = THREADS.getCurrentThreadCpuTime();
    for (int i = 0; i < BATCH; i++) {
      state.replica.apply(state.traffic.get(state.next++));
    }
    long cpu = THREADS.getCurrentThreadCpuTime() - cpuBefore;
    System.out.printf(
        " [%d turns, %.2f cpu-us/turn] ", state.turnsInBatch, cpu / 1e3 / state.turnsInBatch);
    return state.replica.states();
  }

  private static final java.lang.management.ThreadMXBean THREADS =
      java.lang.management.ManagementFactory.getThreadMXBean();

  /**
   * The simulated sessions cut into reformulation chains as the session analyzer would with true
   * defect labels: a user's turns run until one succeeds (SUCCESS) or the session ends (FAILURE).
   */
  static List<Reformulation> chains(Iterator<SimulatedTurn> turns, int count) {
    List<Reformulation> chains = new ArrayList<>(count);
    Map<String, List<String>> open = new HashMap<>();
    Map<String, String> sessionOf = new HashMap<>();
    Map<String, Long> lastTime = new HashMap<>();
    while (turns.hasNext() && chains.size() < count) {
      SimulatedTurn turn = turns.next();
      String user = turn.userId();
      String previousSession = sessionOf.put(user, turn.sessionId());
      List<String> chain = open.get(user);
      if (chain != null && !turn.sessionId().equals(previousSession)) {
        chains.add(Reformulation.chain(user, lastTime.get(user), chain, false));
        open.remove(user);
        chain = null;
      }
      if (chain == null) {
        chain = new ArrayList<>();
        open.put(user, chain);
      }
      chain.add(turn.utterance());
      lastTime.put(user, turn.timestamp());
      if (!turn.failing()) {
        chains.add(Reformulation.chain(user, turn.timestamp(), chain, true));
        open.remove(user);
      }
    }
    if (chains.size() < count) {
      throw new IllegalStateException("the simulation ended after " + chains.size() + " chains");
    }
    return chains;
  }
}
