package io.hindsight.datasets;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class UtteranceNormalizationTest {

  static Stream<Arguments> examples() {
    return Stream.of(
        Arguments.of("Play  Maj & Dragons!", "play maj dragons"),
        Arguments.of("don't stop", "dont stop"),
        Arguments.of("add R&B to my playlist.", "add rb to my playlist"),
        Arguments.of("  tabs\tand\nnewlines  ", "tabs and newlines"),
        Arguments.of("\uFF30\uFF2C\uFF21\uFF39 jazz", "play jazz"), // full-width letters
        Arguments.of("\uFB01nd the film", "find the film"), // the "fi" ligature
        Arguments.of("Cafe\u0301 del Mar", "caf\u00E9 del mar"), // composed by NFKC
        Arguments.of("rate it 4.5 / 5 \u2605", "rate it 45 5"),
        Arguments.of("\u00BFqu\u00E9 tal?", "qu\u00E9 tal"));
  }

  @ParameterizedTest
  @MethodSource("examples")
  void shouldNormalizeLikeTheCanonicalNormalizer(String raw, String expected) {
    assertThat(UtteranceNormalization.normalize(raw)).isEqualTo(expected);
  }
}
