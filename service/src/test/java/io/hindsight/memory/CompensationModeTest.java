package io.hindsight.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CompensationModeTest {

  @Test
  void shouldParseConfigurationNames() {
    assertThat(CompensationMode.fromConfig("reloop2")).isEqualTo(CompensationMode.RELOOP2);
    assertThat(CompensationMode.fromConfig(" Fields ")).isEqualTo(CompensationMode.FIELDS);
    assertThat(CompensationMode.fromConfig("BLEND")).isEqualTo(CompensationMode.BLEND);
    assertThat(CompensationMode.DEFAULT).isEqualTo(CompensationMode.BLEND);
  }

  @Test
  void shouldNameTheValidModesWhenUnknown() {
    assertThatThrownBy(() -> CompensationMode.fromConfig("knn"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("knn")
        .hasMessageContaining("[reloop2, fields, blend]");
  }
}
