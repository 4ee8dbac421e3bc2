package io.hindsight.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class FieldMemorySettingsTest {

  @Test
  void shouldNameTheFieldAndTheComponentWhenInvalid() {
    assertThatThrownBy(() -> new FieldMemorySettings("userId", -1, 0, 10))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("priorCount")
        .hasMessageContaining("'userId'");
    assertThatThrownBy(() -> new FieldMemorySettings("itemId", Double.NaN, 0, 10))
        .hasMessageContaining("priorCount");
    assertThatThrownBy(() -> new FieldMemorySettings("itemId", 1, -5, 10))
        .hasMessageContaining("halfLifeMs")
        .hasMessageContaining("'itemId'");
    assertThatThrownBy(() -> new FieldMemorySettings("genre", 1, 0, 0))
        .hasMessageContaining("maxValues")
        .hasMessageContaining("'genre'");
    assertThatThrownBy(() -> new FieldMemorySettings(" ", 1, 0, 10)).hasMessageContaining("field");
    assertThatThrownBy(() -> new FieldMemorySettings(null, 1, 0, 10)).hasMessageContaining("field");
  }

  @Test
  void shouldTellContentSettingsFromReadSettings() {
    FieldMemorySettings s = FieldMemorySettings.defaults("userId");
    assertThat(s.sameContentLayout(s.withPriorCount(50))).isTrue();
    assertThat(s.sameContentLayout(s.withHalfLifeMs(1))).isFalse();
    assertThat(s.sameContentLayout(s.withMaxValues(5))).isFalse();
    assertThat(s.sameContentLayout(FieldMemorySettings.defaults("itemId"))).isFalse();
    assertThat(s.decays()).isFalse();
    assertThat(s.withHalfLifeMs(1).decays()).isTrue();
  }
}
