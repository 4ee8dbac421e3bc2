package io.hindsight.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HindsightConfigTest {

  @Test
  void shouldApplyDefaultsThenFileThenEnvironmentThenFlags(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("app.properties");
    Files.writeString(
        file,
        "compensation.lambda=0.6\ncompensation.tau=0.2\ncompensation.gamma=0.5\n"
            + "kafka.linger.ms=7\n");
    Map<String, String> env =
        Map.of(
            "HINDSIGHT_COMPENSATION_TAU", "0.3",
            "HINDSIGHT_COMPENSATION_GAMMA", "0.4",
            "HINDSIGHT_KAFKA_SECURITY_PROTOCOL", "SSL");
    HindsightConfig config = HindsightConfig.load(file, env, Map.of("compensation.gamma", "0.25"));

    assertThat(config.getDouble(HindsightConfig.COMPENSATION_LAMBDA)).isEqualTo(0.6);
    assertThat(config.getDouble(HindsightConfig.COMPENSATION_TAU)).isEqualTo(0.3);
    assertThat(config.getDouble(HindsightConfig.COMPENSATION_GAMMA)).isEqualTo(0.25);
    assertThat(config.getInt(HindsightConfig.COMPENSATION_MEMORY_ARRAYS)).isEqualTo(64);
    assertThat(config.kafkaOverrides())
        .containsEntry("linger.ms", "7")
        .containsEntry("security.protocol", "SSL");
  }

  @Test
  void shouldNameTheKeyOfAnUnknownProcessingGuarantee() {
    assertThatThrownBy(() -> load("processing.guarantee", "exactly_twice"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("processing.guarantee")
        .hasMessageContaining("exactly_twice");
  }

  @Test
  void shouldNameTheKeyOfANegativeWindow() {
    assertThatThrownBy(() -> load("compensation.attribution.window.ms", "-5"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("compensation.attribution.window.ms");
  }

  @Test
  void shouldNameTheKeyOfANonNumericPort() {
    assertThatThrownBy(() -> load("http.port", "eighty"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("http.port");
    assertThatThrownBy(() -> load("broker.port", "70000"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("broker.port");
  }

  @Test
  void shouldRejectUnknownKeysSoTyposDoNotPassSilently() {
    assertThatThrownBy(() -> load("compensation.lamda", "0.5"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("compensation.lamda");
  }

  @Test
  void shouldMapEnvironmentNamesByTheStatedRule() {
    assertThat(HindsightConfig.environmentName("compensation.attribution.window.ms"))
        .isEqualTo("HINDSIGHT_COMPENSATION_ATTRIBUTION_WINDOW_MS");
  }

  private static HindsightConfig load(String key, String value) {
    return HindsightConfig.load(null, Map.of(), Map.of(key, value));
  }
}
