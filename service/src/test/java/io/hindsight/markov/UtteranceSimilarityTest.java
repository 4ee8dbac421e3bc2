package io.hindsight.markov;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class UtteranceSimilarityTest {

  @Test
  void shouldMeasureNormalizedEditDistanceOverCodePoints() {
    assertThat(UtteranceSimilarity.normalizedEditDistance("kitten", "sitting"))
        .isCloseTo(3 / 7.0, within(1e-12));
    assertThat(UtteranceSimilarity.normalizedEditDistance("qvc", "hsn")).isEqualTo(1);
    assertThat(UtteranceSimilarity.normalizedEditDistance("", "")).isZero();
    assertThat(UtteranceSimilarity.normalizedEditDistance("😀a", "😀b"))
        .isCloseTo(0.5, within(1e-12));
  }

  @Test
  void shouldMeasureTokenJaccard() {
    assertThat(UtteranceSimilarity.tokenJaccard("play maj and dragons", "play imagine dragons"))
        .isCloseTo(2 / 5.0, within(1e-12));
    assertThat(UtteranceSimilarity.tokenJaccard("play jazz", "stop")).isZero();
  }

  @Test
  void shouldGiveSoundexKeysTokenByToken() {
    assertThat(UtteranceSimilarity.phoneticKey("robert rupert")).isEqualTo("R163 R163");
    assertThat(UtteranceSimilarity.phoneticKey("ashcraft")).isEqualTo("A261");
    assertThat(UtteranceSimilarity.phoneticKey("tymczak")).isEqualTo("T522");
    assertThat(UtteranceSimilarity.phoneticKey("play jazz")).isEqualTo("P400 J200");
    assertThat(UtteranceSimilarity.phoneticKey("привет 42")).isEqualTo("привет 42");
  }
}
