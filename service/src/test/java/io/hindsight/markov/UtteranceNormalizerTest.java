package io.hindsight.markov;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class UtteranceNormalizerTest {

  static Stream<Arguments> utterances() {
    return Stream.of(
        arguments("Play Imagine Dragons!", "play imagine dragons"),
        arguments("  play   jazz \t\n please ", "play jazz please"),
        arguments("Don't play this song", "dont play this song"),
        arguments("don\u2019t stop", "dont stop"),
        arguments("hip-hop, rap & r&b", "hip hop rap r b"),
        arguments("\uFF30\uFF2C\uFF21\uFF39\u3000\uFF2A\uFF21\uFF3A\uFF3A", "play jazz"),
        arguments("\uFB01ve \u2460", "five 1"),
        arguments("\u00C4rzte SPIELEN", "\u00E4rzte spielen"),
        arguments("\u0391\u0398\u0397\u039D\u0391", "\u03B1\u03B8\u03B7\u03BD\u03B1"),
        arguments(
            "\u041F\u0440\u0438\u0432\u0435\u0442, \u043C\u0438\u0440!",
            "\u043F\u0440\u0438\u0432\u0435\u0442 \u043C\u0438\u0440"),
        arguments("\u64AD\u653E \u5468\u6770\u4F26\u3002", "\u64AD\u653E \u5468\u6770\u4F26"),
        // Devanagari vowel signs are combining marks and must survive.
        arguments("\u0928\u092E\u0938\u094D\u0924\u0947!", "\u0928\u092E\u0938\u094D\u0924\u0947"),
        arguments("...", ""),
        arguments("'", ""),
        arguments("", ""),
        arguments("qvc", "qvc"));
  }

  @ParameterizedTest(name = "[{0}] -> [{1}]")
  @MethodSource("utterances")
  void shouldNormalizeUtterances(String raw, String expected) {
    assertThat(UtteranceNormalizer.normalize(raw)).isEqualTo(expected);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {"İstanbul’S BEST", "Ǆungla ﬀ", "e\u0301clair Écl\u00e1ir", "ＡＢＣ－１２３"})
  void shouldBeIdempotent(String raw) {
    String once = UtteranceNormalizer.normalize(raw);
    assertThat(UtteranceNormalizer.normalize(once)).isEqualTo(once);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {"e\u0301clair|\u00e9clair", "Cafe\u0301|café"})
  void shouldComposeEquivalentSequencesIntoOneState(String decomposed, String composed) {
    assertThat(UtteranceNormalizer.normalize(decomposed))
        .isEqualTo(UtteranceNormalizer.normalize(composed));
  }

  @Test
  void shouldTreatAsciiTheSameOnTheFastPathAsThroughUnicodeNormalization() {
    Random random = new Random(11);
    for (int i = 0; i < 20_000; i++) {
      char[] ascii = new char[random.nextInt(30)];
      for (int j = 0; j < ascii.length; j++) {
        ascii[j] = (char) random.nextInt(0x80);
      }
      String text = new String(ascii);
      // Appending a non-ASCII letter forces the general path; the ASCII prefix must agree.
      String general = UtteranceNormalizer.normalize(text + " \u00e9");
      String expected = general.substring(0, Math.max(0, general.length() - 2));
      assertThat(UtteranceNormalizer.normalize(text)).as("[%s]", text).isEqualTo(expected);
    }
  }
}
