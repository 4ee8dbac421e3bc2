package io.hindsight.testing;

import io.hindsight.HindsightService;
import io.hindsight.StreamsApp;
import io.hindsight.config.HindsightConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Hindsight services started in-process against the test's broker, each on its own state directory;
 * all are closed and their directories deleted after each test. Register it as an instance field
 * ({@code @RegisterExtension final TestServices services = new TestServices(kafka)}).
 */
public final class TestServices implements AfterEachCallback {
  private final KafkaBroker kafka;
  private final List<HindsightService> started = new ArrayList<>();
  private final List<Path> stateDirs = new ArrayList<>();

  public TestServices(KafkaBroker kafka) {
    this.kafka = kafka;
  }

  /**
   * The configuration of application {@code name} (its topics prefixed {@code name.}) on the test's
   * broker and a fresh state directory, with {@code overrides} on top.
   */
  public HindsightConfig config(String name, Map<String, String> overrides) throws Exception {
    Path stateDir = Files.createTempDirectory("hindsight-" + name);
    stateDirs.add(stateDir);
    Map<String, String> values = new HashMap<>();
    values.put(HindsightConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
    values.put(HindsightConfig.STATE_DIR, stateDir.toString());
    values.put(HindsightConfig.APPLICATION_ID, name);
    values.put(HindsightConfig.TOPIC_PREFIX, name + ".");
    values.putAll(overrides);
    return HindsightConfig.load(null, Map.of(), values);
  }

  /** Starts a service running the apps {@code apps} makes, announcing nothing. */
  public HindsightService start(
      HindsightConfig config, BiFunction<HindsightConfig, MeterRegistry, List<StreamsApp>> apps) {
    HindsightService service = HindsightService.start(config, apps, line -> {});
    started.add(service);
    return service;
  }

  @Override
  public void afterEach(ExtensionContext context) {
    started.forEach(HindsightService::close);
    started.clear();
    stateDirs.forEach(Directories::delete);
    stateDirs.clear();
  }
}
