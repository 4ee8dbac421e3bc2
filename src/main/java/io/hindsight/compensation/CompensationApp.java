package io.hindsight.compensation;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hindsight.RecordedTopology;
import io.hindsight.StreamsApp;
import io.hindsight.config.HindsightConfig;
import io.hindsight.config.Topics;
import io.hindsight.events.EventCodec;
import io.hindsight.events.InvalidEventException;
import io.hindsight.events.Prediction;
import io.hindsight.http.OperationsServer;
import io.hindsight.recovery.StateRebuilds;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.streams.StreamsConfig;

/** The compensation topology as a deployable app, with its {@code POST /compensate} lookup. */
public final class CompensationApp implements StreamsApp {
  public static final String NAME = "compensation";

  private final HindsightConfig config;
  private final Topics topics;
  private final CompensationSettings settings;
  private final MeterRegistry registry;
  private final EventCodec codec;
  private final PredictionKeys keys;
  private volatile ErrorMemoryStore store;
  private volatile InputLag lag = InputLag.NONE;

  /** Asks the cluster for the lag of partitions the consumers have not fetched yet. */
  private org.apache.kafka.clients.admin.Admin admin;
  private volatile int inputPartitions;

  public CompensationApp(HindsightConfig config, MeterRegistry registry) {
    this.config = config;
    this.topics = Topics.from(config);
    this.settings = CompensationSettings.from(config);
    this.keys = new PredictionKeys(settings.featuresDimension());
    this.registry = registry;
    this.codec =
        new EventCodec(
            config.getInt(HindsightConfig.VALIDATION_MAX_RECORD_BYTES),
            config.getLong(HindsightConfig.VALIDATION_MAX_FUTURE_SKEW_MS),
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
          store = settings.newStore();
          return store;
        },
        config::keyValueStore,
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
        InputLag.of(
            streams, admin, config.getString(HindsightConfig.APPLICATION_ID) + "-" + NAME);
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
    if (settings.newStore().prepareRecovery(Path.of(stateDirectory, applicationId, "global"))) {
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

  private OperationsServer.Response compensate(String method, byte[] body) throws Exception {
    if (!method.equals("POST")) {
      return OperationsServer.Response.json(405, "{\"error\":\"POST a prediction\"}");
    }
    Prediction prediction;
    try {
      ObjectNode request = (ObjectNode) codec.parse(body);
      request.putIfAbsent("requestId", request.textNode("lookup"));
      request.putIfAbsent("timestamp", request.numberNode(System.currentTimeMillis()));
      prediction = codec.prediction(EventCodec.JSON.writeValueAsBytes(request));
    } catch (InvalidEventException e) {
      return OperationsServer.Response.json(
          400,
          "{\"error\":"
              + EventCodec.JSON.getNodeFactory().textNode(e.getMessage())
              + ",\"reason\":\""
              + e.reason().code()
              + "\"}");
    }
    float[] key = keys.of(prediction);
    // A lookup peeks: it must not change which field values the replica retains.
    Optional<ErrorMemoryStore.Scored> scored =
        memory()
            .flatMap(
                m ->
                    m.score(
                        prediction.modelId(),
                        prediction.modelVersion(),
                        key,
                        prediction.score(),
                        prediction.timestamp(),
                        PredictionKeys.fieldValues(prediction, settings.fields()),
                        false));
    ObjectNode answer = EventCodec.JSON.createObjectNode();
    double compensated = scored.map(s -> s.scores().finalScore()).orElse(prediction.score());
    answer.put("modelId", prediction.modelId());
    answer.put("modelVersion", prediction.modelVersion());
    answer.put("score", prediction.score());
    answer.put("compensatedScore", compensated);
    answer.put("delta", compensated - prediction.score());
    answer.put("evidence", scored.map(ErrorMemoryStore.Scored::evidence).orElse(0));
    answer.put("mode", settings.mode().configName());
    answer.put("trust", scored.map(s -> s.scores().trust()).orElse(1.0));
    return OperationsServer.Response.json(200, answer.toString());
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
