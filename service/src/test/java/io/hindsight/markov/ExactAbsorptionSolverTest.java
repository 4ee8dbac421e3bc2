package io.hindsight.markov;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class ExactAbsorptionSolverTest extends AbsorptionSolverContractTest {

  @Override
  AbsorptionSolver newSolver() {
    return new ExactAbsorptionSolver();
  }

  @Test
  void shouldComputeExpectedVisitsOfTheFundamentalMatrix() {
    ChainStatistics statistics = new ChainStatistics(ChainSettings.defaults());
    // a → a (1), a → b (1), a → F (1); b → S (1).
    statistics.recordChain("u", List.of("a", "a", "b"), ChainOutcome.SUCCESS, 0);
    statistics.recordChain("v", List.of("a"), ChainOutcome.FAILURE, 0);

    ExactAbsorptionSolver solver = new ExactAbsorptionSolver().solve(statistics);

    // Q(a,a) = 1/3, so N(a,a) = 1/(1 − 1/3) = 3/2 and N(a,b) = N(a,a)·1/3 = 1/2.
    assertThat(solver.expectedVisits("a", "a")).isCloseTo(1.5, within(1e-12));
    assertThat(solver.expectedVisits("a", "b")).isCloseTo(0.5, within(1e-12));
    assertThat(solver.expectedVisits("b", "a")).isZero();
    assertThat(solver.successProbability("a")).isCloseTo(0.5, within(1e-12));
  }

  @Test
  void shouldSolveADenseSystemWithPartialPivoting() {
    double[][] a = {{0, 2, 1}, {1, 1, 1}, {2, 1, 0}};
    double[][] b = {{7}, {6}, {4}};

    double[][] x = ExactAbsorptionSolver.solveGaussian(a, b);

    assertThat(x[0][0]).isCloseTo(1, within(1e-12));
    assertThat(x[1][0]).isCloseTo(2, within(1e-12));
    assertThat(x[2][0]).isCloseTo(3, within(1e-12));
  }
}
