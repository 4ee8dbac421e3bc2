package io.hindsight.markov;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class RulePosteriorTest {

  @Test
  void shouldMatchClosedFormBetaDistributionFunctions() {
    // Beta(1,1) is uniform; Beta(2,3) at 0.4 is Σ_{j=2..4} C(4,j)·0.4^j·0.6^(4−j) = 0.5248.
    assertThat(IncompleteBeta.regularized(0.3, 1, 1)).isCloseTo(0.3, within(1e-13));
    assertThat(IncompleteBeta.regularized(0.4, 2, 3)).isCloseTo(0.5248, within(1e-13));
    assertThat(IncompleteBeta.regularized(0.5, 40, 40)).isCloseTo(0.5, within(1e-12));
    // I_x(a,1) = x^a.
    assertThat(IncompleteBeta.regularized(0.9, 25, 1)).isCloseTo(Math.pow(0.9, 25), within(1e-13));
    assertThat(IncompleteBeta.regularized(0.2, 5000, 20000)).isCloseTo(0.5, within(0.01));
  }

  @Test
  void shouldComputeLogGamma() {
    assertThat(IncompleteBeta.logGamma(5)).isCloseTo(Math.log(24), within(1e-12));
    assertThat(IncompleteBeta.logGamma(0.5)).isCloseTo(0.5 * Math.log(Math.PI), within(1e-12));
  }

  @Test
  void shouldBecomeConfidentThatAFailingRuleIsWorseThanTheBaseline() {
    RulePosterior posterior = RulePosterior.PRIOR;
    for (int i = 0; i < 30; i++) {
      posterior = posterior.withOutcome(i % 10 == 0);
    }

    assertThat(posterior.applications()).isEqualTo(30);
    assertThat(posterior.successes()).isEqualTo(3);
    assertThat(posterior.mean()).isCloseTo(4 / 32.0, within(1e-12));
    assertThat(posterior.probabilityBelow(0.4)).isGreaterThan(0.99);
    assertThat(RulePosterior.PRIOR.probabilityBelow(0.4)).isCloseTo(0.4, within(1e-12));
  }
}
