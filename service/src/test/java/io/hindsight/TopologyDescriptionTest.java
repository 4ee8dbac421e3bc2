package io.hindsight;

import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.cli.Apps;
import io.hindsight.config.HindsightConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each deployed topology's description is kept under {@code streams/<app>/topology.txt}: node and
 * store names become changelog and internal topic names, so a change must be deliberate. Run with
 * {@code -Dhindsight.topologies.update=true} to rewrite the files after an intended change.
 */
class TopologyDescriptionTest {

  @ParameterizedTest
  @ValueSource(strings = {"compensation", "rewrites"})
  void shouldMatchTheCommittedTopologyDescription(String app) throws Exception {
    HindsightConfig config = HindsightConfig.load(null, Map.of(), Map.of());
    StreamsApp streamsApp =
        Apps.create(config, new SimpleMeterRegistry(), Apps.Selection.valueOf(app)).get(0);
    String description = streamsApp.topology().describe().toString();
    Path file = Path.of("streams", app, "topology.txt");
    if (Boolean.getBoolean("hindsight.topologies.update")) {
      Files.writeString(file, description);
    }
    assertThat(file).exists();
    assertThat(description)
        .as(
            "topology of %s changed; if intended, rerun with -Dhindsight.topologies.update=true",
            app)
        .isEqualTo(Files.readString(file));
  }
}
