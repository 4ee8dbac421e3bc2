package io.hindsight.evaluation;

import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.HindsightService;
import io.hindsight.RecordedTopology;
import io.hindsight.StreamsApp;
import io.hindsight.compensation.CompensationApp;
import io.hindsight.config.HindsightConfig;
import io.hindsight.errors.DeadLetterHandler;
import io.hindsight.events.EventCodec;
import io.hindsight.events.Interaction;
import io.hindsight.events.Outcome;
import io.hindsight.events.Prediction;
import io.hindsight.rewrite.RewriteApp;
import io.hindsight.testing.Directories;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.function.Function;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The inline driver against Kafka's TopologyTestDriver: the same records in, the same records out
 * of every sink and dead-letter topic, for both deployed topologies, with bad, duplicate, early and
 * late events among them.
 */
class InlineTopologyDriverTest {
  private final List<Path> dirs = new ArrayList<>();

  @AfterEach
  void cleanUp() {
    dirs.forEach(Directories::delete);
  }

  /** An input record: topic, key, value. */
  private record In(String topic, String key, byte[] value, long timestamp) {}

  @Test
  void shouldProduceWhatTopologyTestDriverProducesForTheCompensationTopology() throws Exception {
    Random random = new Random(7);
    List<In> log = new ArrayList<>();
    long t = 1_700_000_000_000L;
    for (int i = 0; i < 600; i++) {
      t += random.nextInt(4_000);
      String id = "r" + i;
      int dimension = i == 300 ? 3 : 4; // one prediction of another dimension: rejected
      float[] embedding = new float[dimension];
      for (int d = 0; d < dimension; d++) {
        embedding[d] = (float) random.nextGaussian();
      }
      Prediction p =
          new Prediction(
              id, "m", "v1", t, random.nextDouble(), embedding, null, "u" + i % 7, "i" + i % 11);
      Outcome o = new Outcome(id, t + random.nextInt(90_000), random.nextInt(2));
      boolean outcomeFirst = i % 13 == 0;
      if (outcomeFirst) {
        log.add(new In("outcomes", id, EventCodec.encode(o), t));
      }
      log.add(new In("predictions", id, EventCodec.encode(p), t));
      if (i % 17 == 0) {
        log.add(new In("predictions", id, EventCodec.encode(p), t)); // duplicate
      }
      if (!outcomeFirst && i % 3 != 0) {
        log.add(new In("outcomes", id, EventCodec.encode(o), t));
      }
      if (i % 50 == 0) {
        log.add(new In("predictions", "bad" + i, "{not json".getBytes(StandardCharsets.UTF_8), t));
      }
    }
    Map<String, String> settings =
        Map.of(
            HindsightConfig.COMPENSATION_ATTRIBUTION_WINDOW_MS, "60000",
            HindsightConfig.COMPENSATION_OUTCOME_GRACE_MS, "5000",
            HindsightConfig.COMPENSATION_MEMORY_ARRAYS, "8",
            HindsightConfig.COMPENSATION_MEMORY_BITS, "4",
            HindsightConfig.COMPENSATION_MEMORY_STORE, "onheap");
    assertSameOutputs(
        settings,
        config -> new CompensationApp(config, new SimpleMeterRegistry()),
        app -> ((CompensationApp) app).topology(),
        log,
        12,
        List.of("compensations", "labelled-samples", "dlq"));
  }

  @Test
  void shouldProduceWhatTopologyTestDriverProducesForTheRewriteTopology() throws Exception {
    Random random = new Random(11);
    List<String> utterances = List.of("play jaz", "play jazz", "call mom", "cal mom", "stop");
    List<In> log = new ArrayList<>();
    long t = 1_700_000_000_000L;
    for (int i = 0; i < 800; i++) {
      t += random.nextInt(20_000);
      String user = "u" + random.nextInt(12);
      Interaction turn =
          new Interaction(
              user, t, utterances.get(random.nextInt(utterances.size())), null, null, null, null);
      log.add(new In("interactions", user, EventCodec.encode(turn), t));
      if (i % 97 == 0) {
        log.add(new In("interactions", user, "[]".getBytes(StandardCharsets.UTF_8), t));
      }
    }
    assertSameOutputs(
        Map.of(
            HindsightConfig.REWRITE_MIN_SOURCE_USERS, "2",
            HindsightConfig.REWRITE_MIN_TRANSITION_USERS, "2"),
        RewriteApp::new,
        app -> ((RewriteApp) app).topology(),
        log,
        9,
        List.of("reformulations", "dlq"));
  }

  private void assertSameOutputs(
      Map<String, String> settings,
      Function<HindsightConfig, StreamsApp> apps,
      Function<StreamsApp, RecordedTopology> topologies,
      List<In> log,
      int malformed,
      List<String> topics)
      throws Exception {
    HindsightConfig expectedConfig = config(settings);
    StreamsApp expectedApp = apps.apply(expectedConfig);
    Map<String, List<String>> expected = new HashMap<>();
    Properties props = new Properties();
    props.putAll(HindsightService.streamsSettings(expectedConfig, expectedApp));
    try (TopologyTestDriver driver = new TopologyTestDriver(expectedApp.topology(), props)) {
      for (In in : log) {
        driver
            .createInputTopic(
                in.topic(),
                new org.apache.kafka.common.serialization.StringSerializer(),
                new org.apache.kafka.common.serialization.ByteArraySerializer())
            .pipeInput(in.key(), in.value(), in.timestamp());
      }
      for (String topic : topics) {
        List<String> records = new ArrayList<>();
        for (TestRecord<byte[], byte[]> record :
            driver
                .createOutputTopic(
                    topic,
                    new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
                    new org.apache.kafka.common.serialization.ByteArrayDeserializer())
                .readRecordsToList()) {
          records.add(describe(record.key(), record.value(), record.headers()));
        }
        expected.put(topic, records);
      }
    }

    HindsightConfig actualConfig = config(settings);
    StreamsApp actualApp = apps.apply(actualConfig);
    RecordedTopology topology = topologies.apply(actualApp);
    Map<String, List<String>> actual = new HashMap<>();
    Path stateDir = Files.createTempDirectory("hindsight-inline");
    dirs.add(stateDir);
    try (InlineTopologyDriver driver =
        new InlineTopologyDriver(
            topology,
            HindsightService.streamsSettings(actualConfig, actualApp),
            stateDir.toFile())) {
      Map<String, Serializer<Object>> serializers = sinkSerializers(topology, topics);
      for (String topic : topics) {
        List<String> records = new ArrayList<>();
        actual.put(topic, records);
        driver.onOutput(topic, record -> records.add(describe(topic, record, serializers)));
      }
      for (In in : log) {
        driver.pipe(
            in.topic(), in.key().getBytes(StandardCharsets.UTF_8), in.value(), in.timestamp());
      }
    }
    // Kafka Streams sends the dead letters of records that fail to deserialize (RecordDeserializer
    // hands the handler's records to the task's collector); TopologyTestDriver 4.4 drops them.
    List<String> unreadable =
        actual.get("dlq").stream().filter(r -> r.endsWith("(malformed-json)")).toList();
    assertThat(unreadable).hasSize(malformed);
    actual.get("dlq").removeAll(unreadable);
    assertThat(actual.get(topics.get(0))).as(topics.get(0)).isNotEmpty();
    for (String topic : topics) {
      assertThat(actual.get(topic)).as(topic).isEqualTo(expected.get(topic));
    }
  }

  /** Forwarded records are not serialized by the inline driver; the sinks' serializers do it. */
  private static Map<String, Serializer<Object>> sinkSerializers(
      RecordedTopology topology, List<String> topics) {
    Map<String, Serializer<Object>> serializers = new HashMap<>();
    for (var subtopology : topology.describe().subtopologies()) {
      for (var node : subtopology.nodes()) {
        if (node instanceof org.apache.kafka.streams.TopologyDescription.Sink sink
            && topics.contains(sink.topic())) {
          @SuppressWarnings("unchecked")
          Serializer<Object> value =
              (Serializer<Object>) topology.sink(sink.name()).valueSerializer();
          serializers.put(sink.topic(), value);
        }
      }
    }
    return serializers;
  }

  private static String describe(
      String topic, Record<?, ?> record, Map<String, Serializer<Object>> serializers) {
    byte[] key =
        record.key() instanceof String s
            ? s.getBytes(StandardCharsets.UTF_8)
            : (byte[]) record.key();
    byte[] value =
        record.value() instanceof byte[] bytes
            ? bytes
            : serializers.get(topic).serialize(topic, record.headers(), record.value());
    return describe(key, value, record.headers());
  }

  /** Key, value and the dead-letter reason, which is all the evaluation reads of a record. */
  private static String describe(byte[] key, byte[] value, Headers headers) {
    Header reason = headers.lastHeader(DeadLetterHandler.REASON);
    return (key == null ? "null" : new String(key, StandardCharsets.UTF_8))
        + " -> "
        + (value == null ? "null" : java.util.Base64.getEncoder().encodeToString(value))
        + (reason == null ? "" : " (" + new String(reason.value(), StandardCharsets.UTF_8) + ")");
  }

  private HindsightConfig config(Map<String, String> settings) throws Exception {
    Path stateDir = Files.createTempDirectory("hindsight-inline-state");
    dirs.add(stateDir);
    Map<String, String> values = new HashMap<>(settings);
    values.put(HindsightConfig.BOOTSTRAP_SERVERS, "unused:9092");
    values.put(HindsightConfig.STATE_DIR, stateDir.toString());
    values.put(HindsightConfig.STATE_STORE_TYPE, "in-memory");
    values.put(HindsightConfig.VALIDATION_MAX_FUTURE_SKEW_MS, Long.toString(Long.MAX_VALUE / 4));
    return HindsightConfig.load(null, Map.of(), values);
  }
}
