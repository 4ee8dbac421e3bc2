package io.hindsight.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class FieldCompensatorTest {

  private static final List<String> FIELDS = List.of("userId", "itemId");
  private static final Readout SKETCH = new Readout(0.45, 0.3, 0.6, 0.35, 12);
  private static final FieldEstimate USER = new FieldEstimate(0.2, 30);
  private static final FieldEstimate ITEM = new FieldEstimate(-0.1, 400);

  private static FieldCompensator compensator(CompensationMode mode) {
    return FieldCompensator.withDefaults(mode, 0.5, FIELDS);
  }

  @Test
  void shouldServeThePapersFormulaInReloop2Mode() {
    CompensationScores s = compensator(CompensationMode.RELOOP2).score(0.3, SKETCH, USER, ITEM);
    assertThat(s.finalScore()).isEqualTo(0.45);
    assertThat(s.reloop2()).isEqualTo(0.45);
    assertThat(s.delta()).isCloseTo(0.15, within(1e-12));
  }

  @Test
  void shouldServeTheSumOfTheFieldEstimatesInFieldsMode() {
    CompensationScores s = compensator(CompensationMode.FIELDS).score(0.3, SKETCH, USER, ITEM);
    assertThat(s.finalScore()).isCloseTo(0.3 + 0.5 * (0.2 - 0.1), within(1e-12));
    assertThat(s.fieldAlone()[0]).isCloseTo(0.4, within(1e-12));
    assertThat(s.fieldAlone()[1]).isCloseTo(0.25, within(1e-12));
  }

  @Test
  void shouldStartTheBlendModeAtThePapersFormula() {
    CompensationScores s = compensator(CompensationMode.BLEND).score(0.3, SKETCH, USER, ITEM);
    assertThat(s.blend()).isCloseTo(0.45, within(1e-12));
    assertThat(s.trust()).isEqualTo(1.0);
    assertThat(s.fallingBack()).isFalse();
    assertThat(s.finalScore()).isCloseTo(0.45, within(1e-12));
  }

  @Test
  void shouldReturnEveryVariantFromOneCall() {
    FieldCompensator c = compensator(CompensationMode.BLEND);
    CompensationScores s = c.score(0.3, SKETCH, USER, ITEM);
    assertThat(c.variantNames())
        .containsExactly(
            "base",
            "reloop2",
            "field:userId",
            "field:itemId",
            "fields",
            "blend-unguarded",
            "blend");
    assertThat(s.variantScores())
        .containsExactly(0.3, 0.45, 0.4, 0.25, s.fields(), s.blend(), s.guarded());
  }

  @Test
  void shouldFallBackTowardsTheBaseWhenTheBlendDoesWorse() {
    // Labels follow the base exactly while the sketch insists on +0.4: the blend starts at the
    // paper's formula, is worse than the base, and the guard takes it back.
    FieldCompensator c =
        new FieldCompensator(
            CompensationMode.BLEND,
            0.5,
            FIELDS,
            BlendSettings.defaults(),
            new GuardSettings(0, 50, 0.01));
    SplittableRandom random = new SplittableRandom(1);
    Readout misleading = new Readout(0.5, 0.4, 0.7, 0.3, 16);
    for (int i = 0; i < 300; i++) {
      CompensationScores s = c.score(0.3, misleading, FieldEstimate.NONE, FieldEstimate.NONE);
      c.learn(s, random.nextDouble() < 0.3 ? 1 : 0, i * 1_000L);
    }
    CompensationScores s = c.score(0.3, misleading, FieldEstimate.NONE, FieldEstimate.NONE);
    assertThat(c.guard().isFallingBack()).isTrue();
    assertThat(s.fallingBack()).isTrue();
    assertThat(Math.abs(s.finalScore() - 0.3)).isLessThan(Math.abs(s.blend() - 0.3));
  }

  @Test
  void shouldRejectTheWrongNumberOfEstimatesOrRepeatedFields() {
    FieldCompensator c = compensator(CompensationMode.BLEND);
    assertThatThrownBy(() -> c.score(0.3, SKETCH, USER))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("userId");
    assertThatThrownBy(
            () -> FieldCompensator.withDefaults(CompensationMode.BLEND, 0.5, List.of("a", "a")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> FieldCompensator.withDefaults(CompensationMode.BLEND, -1, FIELDS))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
