package io.hindsight.markov;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class IncrementalAbsorptionSolverTest extends AbsorptionSolverContractTest {

  @Override
  AbsorptionSolver newSolver() {
    return new IncrementalAbsorptionSolver();
  }

  static LongStream seeds() {
    return LongStream.range(0, 40);
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void shouldEqualTheExactSolverAfterEveryBatchOfIncrementalUpdates(long seed) {
    ChainSettings settings =
        ChainSettings.defaults()
            // Small successor lists on some seeds, so eviction (leaking mass) is exercised.
            .withMaxSuccessors(seed % 3 == 0 ? 2 : 16)
            .withHalfLife(seed % 4 == 1 ? Duration.ofMinutes(30) : Duration.ZERO);
    ChainStatistics statistics = new ChainStatistics(settings);
    RandomChains chains = new RandomChains(seed, 3, 60 + (int) (seed % 5) * 20, 40);
    IncrementalAbsorptionSolver incremental = new IncrementalAbsorptionSolver();
    ExactAbsorptionSolver exact = new ExactAbsorptionSolver();

    for (int batch = 0; batch < 6; batch++) {
      Set<String> changed = new LinkedHashSet<>();
      int batchSize = batch == 0 ? 400 : 1 + (int) ((seed * 31 + batch * 17) % 120);
      for (int i = 0; i < batchSize; i++) {
        changed.addAll(RandomChains.record(statistics, chains.next()));
      }
      incremental.update(statistics, changed);
      exact.solve(statistics);

      assertThat(incremental.pendingStates()).isZero();
      assertSameSolution(statistics, incremental, exact);
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void shouldEqualTheExactSolverWhenRebuiltFromScratch(long seed) {
    ChainStatistics statistics = new ChainStatistics(ChainSettings.defaults());
    RandomChains chains = new RandomChains(seed, 4, 70, 30);
    for (int i = 0; i < 1500; i++) {
      RandomChains.record(statistics, chains.next());
    }
    IncrementalAbsorptionSolver incremental = new IncrementalAbsorptionSolver();

    incremental.rebuild(statistics);

    assertSameSolution(statistics, incremental, new ExactAbsorptionSolver().solve(statistics));
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void shouldStayNearTheExactSolverUnderACoarseTolerance(long seed) {
    ChainStatistics statistics = new ChainStatistics(ChainSettings.defaults());
    RandomChains chains = new RandomChains(seed, 3, 80, 40);
    // The rewrite replica's coarsest setting: residuals below 1e-4 are left alone.
    IncrementalAbsorptionSolver coarse = new IncrementalAbsorptionSolver(1e-4, 1e-4, 1_000_000);
    IncrementalAbsorptionSolver fine = new IncrementalAbsorptionSolver();
    ExactAbsorptionSolver exact = new ExactAbsorptionSolver();

    for (int batch = 0; batch < 6; batch++) {
      Set<String> changed = new LinkedHashSet<>();
      for (int i = 0; i < (batch == 0 ? 400 : 60); i++) {
        changed.addAll(RandomChains.record(statistics, chains.next()));
      }
      coarse.update(statistics, changed);
      fine.update(statistics, changed);
      exact.solve(statistics);

      double worst = 0;
      for (int id = 0; id < statistics.stateCount(); id++) {
        String state = statistics.utterance(id);
        worst =
            Math.max(
                worst,
                Math.abs(coarse.successProbability(state) - exact.successProbability(state)));
      }
      // Within tolerance × expected visits of a chain (a few here), far from a rule's margins.
      assertThat(worst).isLessThanOrEqualTo(1e-3);
      assertThat(coarse.relaxations()).isLessThanOrEqualTo(fine.relaxations());
    }
  }

  @Test
  void shouldKeepUnfinishedWorkQueuedWhenTheRelaxationBoundIsHit() {
    ChainStatistics statistics = new ChainStatistics(ChainSettings.defaults());
    RandomChains chains = new RandomChains(7, 1, 50, 10);
    Set<String> changed = new LinkedHashSet<>();
    for (int i = 0; i < 500; i++) {
      changed.addAll(RandomChains.record(statistics, chains.next()));
    }
    IncrementalAbsorptionSolver solver = new IncrementalAbsorptionSolver(1e-12, 1e-6, 10);

    solver.update(statistics, changed);
    assertThat(solver.pendingStates()).isPositive();
    while (solver.pendingStates() > 0) {
      solver.update(statistics, Set.of());
    }

    assertSameSolution(statistics, solver, new ExactAbsorptionSolver().solve(statistics));
  }

  @Test
  void shouldRefuseToServeTwoStatistics() {
    IncrementalAbsorptionSolver solver = new IncrementalAbsorptionSolver();
    solver.update(new ChainStatistics(ChainSettings.defaults()), Set.of());

    assertThatThrownBy(() -> solver.update(new ChainStatistics(ChainSettings.defaults()), Set.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void shouldGiveZeroToAStateThatOnlyRepeatsItselfAndFails() {
    ChainStatistics statistics = new ChainStatistics(ChainSettings.defaults());
    Set<String> changed =
        statistics.recordChain("u", List.of("again", "again", "again"), ChainOutcome.FAILURE, 0);
    IncrementalAbsorptionSolver solver = new IncrementalAbsorptionSolver();

    solver.update(statistics, changed);

    assertThat(solver.successProbability("again")).isZero();
  }

  private static void assertSameSolution(
      ChainStatistics statistics, AbsorptionSolver actual, ExactAbsorptionSolver expected) {
    for (int id = 0; id < statistics.stateCount(); id++) {
      String state = statistics.utterance(id);
      double want = expected.successProbability(state);
      double got = actual.successProbability(state);
      assertThat(Math.abs(got - want))
          .as("P_S(%s): incremental %s, exact %s", state, got, want)
          .isLessThanOrEqualTo(1e-9);
    }
  }

  @Test
  void shouldReportDriftThatAddsUpFromMovesBelowTheReportTolerance() {
    ChainStatistics statistics = new ChainStatistics(ChainSettings.defaults());
    IncrementalAbsorptionSolver solver = new IncrementalAbsorptionSolver(1e-12, 0.05, 1000);
    Set<String> changed = new LinkedHashSet<>();
    for (int i = 0; i < 50; i++) {
      changed.addAll(statistics.recordChain("u" + i, List.of("a"), ChainOutcome.SUCCESS, 0));
    }
    assertThat(solver.update(statistics, changed)).containsExactly("a");

    // Each failure moves P_S(a) by about 0.02 (< 0.05); the third one adds up past it.
    List<Set<String>> reports = new java.util.ArrayList<>();
    for (int i = 0; i < 3; i++) {
      reports.add(
          solver.update(
              statistics, statistics.recordChain("f" + i, List.of("a"), ChainOutcome.FAILURE, 0)));
    }

    assertThat(reports.get(0)).isEmpty();
    assertThat(reports.get(1)).isEmpty();
    assertThat(reports.get(2)).containsExactly("a");
  }
}
