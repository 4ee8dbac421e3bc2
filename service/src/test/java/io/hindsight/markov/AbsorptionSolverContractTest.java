package io.hindsight.markov;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Behaviour every {@link AbsorptionSolver} must show on small hand-made chains. */
abstract class AbsorptionSolverContractTest {

  abstract AbsorptionSolver newSolver();

  private final ChainStatistics statistics = new ChainStatistics(ChainSettings.defaults());

  private Set<String> record(String user, ChainOutcome outcome, String... turns) {
    return statistics.recordChain(user, List.of(turns), outcome, 0);
  }

  @Test
  void shouldGiveOneStepSuccessRateToStatesWithoutSuccessors() {
    record("a", ChainOutcome.SUCCESS, "weather");
    record("b", ChainOutcome.SUCCESS, "weather");
    record("c", ChainOutcome.FAILURE, "weather");
    record("d", ChainOutcome.FAILURE, "weather");
    AbsorptionSolver solver = newSolver();

    solver.update(statistics, Set.of("weather"));

    assertThat(solver.successProbability("weather")).isCloseTo(0.5, within(1e-10));
  }

  @Test
  void shouldCreditTheSourceWithTheSuccessOfItsReformulations() {
    record("a", ChainOutcome.SUCCESS, "play maj and dragons", "play imagine dragons");
    record("b", ChainOutcome.FAILURE, "play maj and dragons");
    record("c", ChainOutcome.SUCCESS, "play imagine dragons");
    AbsorptionSolver solver = newSolver();

    Set<String> changed =
        solver.update(statistics, Set.of("play maj and dragons", "play imagine dragons"));

    // P(imagine) = 1; P(maj) = 1/2·P(imagine) + 1/2·0.
    assertThat(solver.successProbability("play imagine dragons")).isCloseTo(1, within(1e-10));
    assertThat(solver.successProbability("play maj and dragons")).isCloseTo(0.5, within(1e-10));
    assertThat(changed).contains("play maj and dragons", "play imagine dragons");
  }

  @Test
  void shouldSolveCyclesAndSelfLoops() {
    record("a", ChainOutcome.SUCCESS, "x", "x", "y", "x", "y");
    record("b", ChainOutcome.FAILURE, "y", "x", "x");
    AbsorptionSolver solver = newSolver();

    solver.update(statistics, Set.of("x", "y"));

    // x: n=5, x→x 2, x→y 2, F 1; y: n=3, y→x 2, S 1.
    // P(x) = (2P(x) + 2P(y))/5, P(y) = (1 + 2P(x))/3 ⇒ P(x) = 2/5, P(y) = 3/5.
    assertThat(solver.successProbability("x")).isCloseTo(0.4, within(1e-10));
    assertThat(solver.successProbability("y")).isCloseTo(0.6, within(1e-10));
  }

  @Test
  void shouldGiveZeroToUnknownStates() {
    AbsorptionSolver solver = newSolver();
    solver.update(statistics, Set.of());
    assertThat(solver.successProbability("never said")).isZero();
  }

  @Test
  void shouldReportOnlyStatesWhoseProbabilityMoved() {
    record("a", ChainOutcome.SUCCESS, "left", "right");
    record("b", ChainOutcome.SUCCESS, "elsewhere");
    AbsorptionSolver solver = newSolver();
    solver.update(statistics, Set.of("left", "right", "elsewhere"));

    Set<String> changed = record("c", ChainOutcome.FAILURE, "right");
    Set<String> moved = solver.update(statistics, changed);

    assertThat(moved).containsExactlyInAnyOrder("left", "right");
    assertThat(solver.successProbability("left")).isCloseTo(0.5, within(1e-10));
  }
}
