package io.hindsight.cli;

import io.hindsight.config.HindsightConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** Options every command that runs topologies shares; flags win over file and environment. */
public final class ConfigOptions {

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description = "Properties file (e.g. streams/compensation/application.properties).")
  Path configFile;

  @Option(
      names = "--bootstrap-servers",
      paramLabel = "HOST:PORT",
      description = "Kafka cluster; omit to start the embedded broker.")
  String bootstrapServers;

  @Option(
      names = "--broker-port",
      paramLabel = "N",
      description = "Embedded broker port (0 = free).")
  String brokerPort;

  @Option(names = "--http-port", paramLabel = "N", description = "Operations port (0 = free).")
  String httpPort;

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description =
          "Local data: the embedded broker's log (DIR/kafka) and, unless state.dir is set,"
              + " Kafka Streams state and error memories (DIR/state).")
  String dataDir;

  @Option(
      names = {"-s", "--set"},
      paramLabel = "KEY=VALUE",
      description =
          "Any configuration key, e.g. --set compensation.lambda=0.7 or kafka.linger.ms=5.")
  Map<String, String> settings = new LinkedHashMap<>();

  public HindsightConfig load() {
    return load(Map.of());
  }

  /** Loads configuration; {@code commandDefaults} sit between the defaults and the file. */
  public HindsightConfig load(Map<String, String> commandDefaults) {
    Map<String, String> flags = new LinkedHashMap<>(commandDefaults);
    flags.keySet().removeIf(k -> System.getenv(HindsightConfig.environmentName(k)) != null);
    flags.putAll(settings);
    put(flags, HindsightConfig.BOOTSTRAP_SERVERS, bootstrapServers);
    put(flags, HindsightConfig.BROKER_PORT, brokerPort);
    put(flags, HindsightConfig.HTTP_PORT, httpPort);
    put(flags, HindsightConfig.DATA_DIR, dataDir);
    return HindsightConfig.load(configFile, System.getenv(), flags);
  }

  private static void put(Map<String, String> flags, String key, String value) {
    if (value != null) {
      flags.put(key, value);
    }
  }
}
