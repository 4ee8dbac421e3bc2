package io.hindsight.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The configuration reference in docs/ is the one generated from the ConfigDef. */
class ConfigurationReferenceTest {
  static final String REGENERATE =
      "mvn -B -q test -Dtest=ConfigurationReferenceTest -Dhindsight.regenerate=true";

  @Test
  void shouldKeepTheConfigurationReferenceInStepWithTheConfigDef() throws Exception {
    Path file = Path.of(ConfigurationReference.FILE);
    String generated = ConfigurationReference.markdown();
    if (Boolean.getBoolean("hindsight.regenerate")) {
      Files.createDirectories(file.getParent());
      Files.writeString(file, generated);
    }
    assertThat(Files.exists(file) ? Files.readString(file) : "")
        .as("%s is out of date with HindsightConfig; regenerate it with:%n  %s", file, REGENERATE)
        .isEqualTo(generated);
  }

  @Test
  void shouldListEveryKeyOfTheConfigDef() {
    String reference = ConfigurationReference.markdown();
    HindsightConfig.DEFINITION
        .names()
        .forEach(name -> assertThat(reference).contains("| `" + name + "` |"));
  }
}
