package io.hindsight.compensation;

import io.hindsight.RecordedTopology;
import io.hindsight.StreamsApp;
import io.hindsight.config.HindsightConfig;
import io.hindsight.config.Topics;
import io.hindsight.events.EventCodec;
import io.hindsight.events.InvalidEventException;
import io.hindsight.http.OperationsServer;
import io.hindsight.recovery.StateRebuilds;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The compensation topology as a deployable app, with its {@code POST /compensate} lookup (one
 * prediction or a batch, {@link CompensationLookup}).
 */
public final class CompensationApp implements StreamsApp {
  public static final String NAME = "compensation";

  private final HindsightConfig config;
  private final Topics topics;
  private final CompensationSettings settings;
  private final MeterRegistry registry;
  private final CompensationLookup lookup;
  private volatile ErrorMemoryStore store;
  private volatile InputLag lag = InputLag.NONE;

  /** Asks the cluster for the lag of partitions the consumers have not fetched yet. */
  private org.apache.kafka.clients.admin.Admin admin;

  private volatile int inputPartitions;

  public CompensationApp(HindsightConfig config, MeterRegistry registry) {
    this.config = config;
    this.topics = Topics.from(config);
    this.settings = CompensationSettings.from(config);
    this.registry = registry;
    this.lookup =
        new CompensationLookup(
            new EventCodec(
                config.getInt(HindsightConfig.VALIDATION_MAX_RECORD_BYTES),
                config.getLong(HindsightConfig.VALIDATION_MAX_FUTURE_SKEW_MS),
                System::currentTimeMillis),
            settings,
            this::memory,
            System::currentTimeMillis);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public RecordedTopology topology() {
    return CompensationTopology.build(
        topics,
        settings,
        registry,
        () -> {
          store = new ErrorMemoryStore(settings);
          return store;
        },
        io.hindsight.KeyValueStores.of(config),
        (topic, partition) -> lag.unread(topic, partition),
        () -> inputPartitions);
  }

  @Override
  public void provisioned(int inputPartitions) {
    this.inputPartitions = inputPartitions;
  }

  @Override
  public synchronized void running(org.apache.kafka.streams.KafkaStreams streams) {
    closeAdmin();
    Map<String, Object> settings = new java.util.HashMap<>(config.kafkaOverrides());
    settings.keySet().retainAll(org.apache.kafka.clients.admin.AdminClientConfig.configNames());
    settings.put(
        org.apache.kafka.clients.admin.AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
        config.getString(HindsightConfig.BOOTSTRAP_SERVERS));
    admin = org.apache.kafka.clients.admin.Admin.create(settings);
    lag =
        InputLag.of(streams, admin, config.getString(HindsightConfig.APPLICATION_ID) + "-" + NAME);
  }

  private void closeAdmin() {
    if (admin != null) {
      admin.close(java.time.Duration.ofSeconds(1));
      admin = null;
    }
  }

  @Override
  public synchronized void close() {
    closeAdmin();
  }

  @Override
  public Map<String, Object> streamsSettings() {
    return Map.of(
        StreamsConfig.DEFAULT_TIMESTAMP_EXTRACTOR_CLASS_CONFIG,
        io.hindsight.events.EventTimeExtractor.class);
  }

  @Override
  public void beforeStart(String stateDirectory, String applicationId) {
    if (new ErrorMemoryStore(settings)
        .prepareRecovery(Path.of(stateDirectory, applicationId, "global"))) {
      StateRebuilds.count(registry, ErrorMemoryStore.NAME, StateRebuilds.UNTRUSTED_REPLICA);
    }
  }

  @Override
  public void bind(MeterRegistry meters, OperationsServer server) {
    Gauge.builder(
            "hindsight.memory.samples",
            this,
            app -> app.memory().map(ErrorMemoryStore::samples).orElse(0L))
        .description("Labelled samples in this instance's error memory replica")
        .register(meters);
    Gauge.builder(
            "hindsight.memory.buckets.used",
            this,
            app -> app.memory().map(ErrorMemoryStore::bucketsInUse).orElse(0L))
        .description("Non-empty buckets across this instance's error memories")
        .register(meters);
    Gauge.builder(
            "hindsight.memory.field.values",
            this,
            app -> app.memory().map(ErrorMemoryStore::fieldValues).orElse(0L))
        .description("Values held by this instance's field memories, over all fields and models")
        .register(meters);
    Gauge.builder(
            "hindsight.memory.field.evictions",
            this,
            app -> app.memory().map(ErrorMemoryStore::fieldEvictions).orElse(0L))
        .description("Values evicted from this instance's field memories (least recently used)")
        .register(meters);
    Gauge.builder(
            "hindsight.memory.held",
            this,
            app -> app.memory().map(ErrorMemoryStore::heldSamples).orElse(0L))
        .description("Labelled samples received and held until every task has published past them")
        .register(meters);
    Gauge.builder(
            "hindsight.memory.late",
            this,
            app -> app.memory().map(ErrorMemoryStore::lateSamples).orElse(0L))
        .description("Labelled samples that arrived after their model's progress had passed them")
        .register(meters);
    server.route("/compensate", (method, query, body) -> compensate(method, body));
  }

  private OperationsServer.Response compensate(String method, byte[] body) {
    if (!method.equals("POST")) {
      return OperationsServer.Response.error(
          405, "method-not-allowed", "POST a prediction, or {modelId, modelVersion, candidates}");
    }
    try {
      return OperationsServer.Response.json(200, lookup.answer(body));
    } catch (InvalidEventException e) {
      return OperationsServer.Response.error(400, e.reason().code(), e.detail());
    }
  }

  /** This instance's memory replica, once Kafka Streams has built it. */
  public Optional<ErrorMemoryStore> memory() {
    ErrorMemoryStore current = store;
    return current == null || !current.isOpen() ? Optional.empty() : Optional.of(current);
  }

  @Override
  public String summary() {
    return memory()
        .map(m -> "memory: " + m.memories() + " model versions, " + m.samples() + " samples")
        .orElse("memory: not open");
  }
}
