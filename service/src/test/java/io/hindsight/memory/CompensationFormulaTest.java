package io.hindsight.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CompensationFormulaTest {

  @Test
  void shouldComputeSoftmaxWeightsWithinTwoUlpOfTheExponential() {
    SplittableRandom random = new SplittableRandom(5);
    double worstUlps = 0;
    double worstAt = 0;
    for (int i = 0; i < 1_000_000; i++) {
      // The range a weight sees at τ = 0.1 (0 to -20), and all the way to the cut-off.
      double x = i % 2 == 0 ? -20 * random.nextDouble() : -708 * random.nextDouble();
      double exact = StrictMath.exp(x);
      double ulps = Math.abs(CompensationFormula.expNonPositive(x) - exact) / Math.ulp(exact);
      if (ulps > worstUlps) {
        worstUlps = ulps;
        worstAt = x;
      }
    }
    assertThat(worstUlps).as("worst error, at e^%s", worstAt).isLessThanOrEqualTo(2);
  }

  @Test
  void shouldGiveTheMaximumWeightOneAndVanishingWeightsZero() {
    assertThat(CompensationFormula.expNonPositive(0.0)).isEqualTo(1.0);
    assertThat(CompensationFormula.expNonPositive(-0.0)).isEqualTo(1.0);
    double justAbove = Math.nextUp(-708.0);
    assertThat(CompensationFormula.expNonPositive(justAbove))
        .isCloseTo(StrictMath.exp(justAbove), within(1e-320));
    assertThat(CompensationFormula.expNonPositive(-708.0)).isZero();
    assertThat(CompensationFormula.expNonPositive(Double.NEGATIVE_INFINITY)).isZero();
    assertThat(CompensationFormula.expNonPositive(Double.NaN)).isNaN();
  }

  @Test
  void shouldKeepItsBits() {
    // Pins the arithmetic: replicas, the client and replays agree only while these stay put.
    assertThat(Double.doubleToRawLongBits(CompensationFormula.expNonPositive(-1.0)))
        .isEqualTo(GOLDEN_MINUS_ONE);
    assertThat(Double.doubleToRawLongBits(CompensationFormula.expNonPositive(-13.37)))
        .isEqualTo(GOLDEN_MINUS_13_37);
  }

  private static final long GOLDEN_MINUS_ONE = 0x3fd78b56362cef38L;
  private static final long GOLDEN_MINUS_13_37 = 0x3eba31ad57ba12f4L;
}
