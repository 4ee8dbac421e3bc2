package io.hindsight.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SketchSettingsTest {

  private static final SketchSettings DEFAULTS = SketchSettings.defaults(64);

  @Test
  void shouldUseTheDesignDefaults() {
    assertThat(DEFAULTS.arrays()).isEqualTo(64);
    assertThat(DEFAULTS.bits()).isEqualTo(12);
    assertThat(DEFAULTS.tau()).isEqualTo(0.1);
    assertThat(DEFAULTS.lambda()).isEqualTo(0.5);
    assertThat(DEFAULTS.gamma()).isEqualTo(1.0);
    assertThat(DEFAULTS.nMin()).isEqualTo(1.0);
    assertThat(DEFAULTS.errorThreshold()).isZero();
    assertThat(DEFAULTS.halfLifeMs()).isZero();
    assertThat(DEFAULTS.totalBuckets()).isEqualTo(64 * 4096);
  }

  static Stream<Arguments> invalidSettings() {
    return Stream.of(
        invalid("arrays", () -> DEFAULTS.withArrays(0)),
        invalid("arrays", () -> DEFAULTS.withArrays(SketchSettings.MAX_ARRAYS + 1)),
        invalid("arrays", () -> DEFAULTS.withArrays(4096).withBits(20)),
        invalid("bits", () -> DEFAULTS.withBits(0)),
        invalid("bits", () -> DEFAULTS.withBits(25)),
        invalid("dimension", () -> DEFAULTS.withDimension(0)),
        invalid("tau", () -> DEFAULTS.withTau(0)),
        invalid("tau", () -> DEFAULTS.withTau(Double.NaN)),
        invalid("lambda", () -> DEFAULTS.withLambda(-0.1)),
        invalid("lambda", () -> DEFAULTS.withLambda(Double.POSITIVE_INFINITY)),
        invalid("gamma", () -> DEFAULTS.withGamma(1.5)),
        invalid("gamma", () -> DEFAULTS.withGamma(Double.NaN)),
        invalid("nMin", () -> DEFAULTS.withNMin(-1)),
        invalid("errorThreshold", () -> DEFAULTS.withErrorThreshold(-0.5)),
        invalid("halfLifeMs", () -> DEFAULTS.withHalfLifeMs(-1)),
        invalid("halfLifeMs", () -> DEFAULTS.withHalfLifeMs(Long.MAX_VALUE)));
  }

  private static Arguments invalid(String field, Supplier<SketchSettings> settings) {
    return Arguments.of(field, settings);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidSettings")
  void shouldRejectInvalidSettingsNamingTheField(String field, Supplier<SketchSettings> settings) {
    assertThatThrownBy(settings::get)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("SketchSettings." + field);
  }

  @Test
  void shouldTreatOnlyContentFieldsAsLayout() {
    SketchSettings retuned = DEFAULTS.withTau(0.5).withLambda(0.9).withGamma(0).withNMin(3);
    assertThat(retuned.sameContentLayout(DEFAULTS)).isTrue();
    assertThat(DEFAULTS.withSeed(1).sameContentLayout(DEFAULTS)).isFalse();
    assertThat(DEFAULTS.withErrorThreshold(0.1).sameContentLayout(DEFAULTS)).isFalse();
    assertThat(DEFAULTS.withHalfLifeMs(1000).sameContentLayout(DEFAULTS)).isFalse();
    assertThat(DEFAULTS.withBits(10).sameContentLayout(DEFAULTS)).isFalse();
  }
}
