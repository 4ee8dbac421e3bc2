package io.hindsight.errors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.hindsight.HindsightService;
import io.hindsight.cli.Apps;
import io.hindsight.compensation.CompensationApp;
import io.hindsight.config.HindsightConfig;
import io.hindsight.testing.KafkaBroker;
import io.hindsight.testing.TestServices;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Every invalid record reaches the dead-letter topic with its reason; Streams never stops. */
class DeadLetterIT {
  @RegisterExtension static final KafkaBroker kafka = new KafkaBroker();

  @RegisterExtension final TestServices services = new TestServices(kafka);

  @Test
  void shouldSendEveryInvalidRecordToTheDeadLetterTopicWithItsReason() throws Exception {
    HindsightConfig config =
        services.config(
            "dlq-it",
            Map.of(
                // Orphans at once: stream time here never passes a grace period.
                HindsightConfig.COMPENSATION_OUTCOME_GRACE_MS, "0"));
    HindsightService service =
        services.start(config, (c, registry) -> Apps.create(c, registry, Apps.Selection.all));
    KafkaStreams streams = service.streams().get(0);
    AtomicBoolean leftRunning = new AtomicBoolean();
    await("streams running").atMost(Duration.ofSeconds(60)).until(() -> service.isReady());
    java.util.concurrent.ScheduledExecutorService watcher =
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
    watcher.scheduleAtFixedRate(
        () -> {
          KafkaStreams.State state = streams.state();
          if (state != KafkaStreams.State.RUNNING && state != KafkaStreams.State.REBALANCING) {
            leftRunning.set(true);
          }
        },
        0,
        20,
        java.util.concurrent.TimeUnit.MILLISECONDS);

    long now = System.currentTimeMillis();
    String predictions = "dlq-it.predictions";
    String outcomes = "dlq-it.outcomes";
    kafka.produce(
        predictions, List.of(record(predictions, "r0", prediction("r0", now, "0.4", "[1,2,3,4]"))));
    CompensationApp app = (CompensationApp) service.apps().get(0);
    await("model dimension declared")
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                app.memory()
                    .flatMap(
                        m ->
                            m.dimension("m", "v1").isPresent()
                                ? java.util.Optional.of(1)
                                : java.util.Optional.empty())
                    .isPresent());

    Map<String, byte[]> invalidPredictions = new HashMap<>();
    invalidPredictions.put("malformed-json", utf8("{\"requestId\": \"x\","));
    invalidPredictions.put(
        "invalid-utf8",
        new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'});
    invalidPredictions.put("not-finite", utf8(prediction("bad-nan", now, "NaN", "[1,2,3,4]")));
    invalidPredictions.put(
        "missing-field",
        utf8(
            prediction("bad-missing", now, "0.5", "[1,2,3,4]")
                .replace("\"requestId\":\"bad-missing\",", "")));
    invalidPredictions.put(
        "embedding-dimension-mismatch", utf8(prediction("bad-dim", now, "0.5", "[1,2,3]")));
    invalidPredictions.put(
        "timestamp-in-future",
        utf8(prediction("bad-future", now + 86_400_000L * 365, "0.5", "[1,2,3,4]")));
    invalidPredictions.put(
        "timestamp-negative", utf8(prediction("bad-negative", -5, "0.5", "[1,2,3,4]")));
    invalidPredictions.put(
        "record-too-large",
        utf8(
            prediction("bad-large", now, "0.5", "[1,2,3,4]")
                .replace("}", ",\"pad\":\"" + "x".repeat(2 * 1024 * 1024) + "\"}")));

    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    invalidPredictions.forEach(
        (reason, value) -> records.add(new ProducerRecord<>(predictions, utf8(reason), value)));
    int valid = 50;
    for (int i = 1; i <= valid; i++) {
      records.add(record(predictions, "r" + i, prediction("r" + i, now, "0.3", "[1,0,1,0]")));
    }
    records.add(
        new ProducerRecord<>(
            outcomes,
            utf8("label-out-of-range"),
            utf8("{\"requestId\":\"r1\",\"timestamp\":" + now + ",\"label\":2.0}")));
    records.add(
        new ProducerRecord<>(
            outcomes,
            utf8("orphan-outcome"),
            utf8("{\"requestId\":\"nobody\",\"timestamp\":" + now + ",\"label\":1}")));
    // An outcome follows its prediction in event time: Streams orders a task's partitions by it.
    records.add(
        record(
            outcomes,
            "r2",
            "{\"requestId\":\"r2\",\"timestamp\":" + (now + 1_000) + ",\"label\":1}"));
    records.add(
        new ProducerRecord<>(
            "dlq-it.interactions",
            utf8("unknown-signal"),
            utf8(
                "{\"userId\":\"u\",\"timestamp\":"
                    + now
                    + ",\"utterance\":\"play jazz\",\"signal\":\"meh\"}")));
    kafka.produce(predictions, records);

    Map<String, String> expected = new HashMap<>();
    invalidPredictions.keySet().forEach(reason -> expected.put(reason, reason));
    expected.put("label-out-of-range", "label-out-of-range");
    expected.put("orphan-outcome", "orphan-outcome");
    expected.put("unknown-signal", "unknown-signal");

    List<ConsumerRecord<byte[], byte[]>> deadLetters =
        kafka.consume("dlq-it.dlq", expected.size(), Duration.ofSeconds(90));
    Map<String, String> seen = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> dead : deadLetters) {
      String key = new String(dead.key(), StandardCharsets.UTF_8);
      seen.put(key, header(dead, DeadLetterHandler.REASON));
      assertThat(header(dead, DeadLetterHandler.SOURCE_TOPIC)).startsWith("dlq-it.");
      assertThat(header(dead, DeadLetterHandler.PARTITION)).isNotBlank();
      assertThat(header(dead, DeadLetterHandler.OFFSET)).isNotBlank();
      assertThat(header(dead, DeadLetterHandler.EXCEPTION)).isNotBlank();
    }
    assertThat(seen).containsExactlyInAnyOrderEntriesOf(expected);
    ConsumerRecord<byte[], byte[]> large =
        deadLetters.stream()
            .filter(r -> new String(r.key(), StandardCharsets.UTF_8).equals("record-too-large"))
            .findFirst()
            .orElseThrow();
    assertThat(large.value().length).as("original bytes kept").isGreaterThan(2 * 1024 * 1024);

    List<ConsumerRecord<byte[], byte[]>> compensations =
        kafka.consume("dlq-it.compensations", valid + 1, Duration.ofSeconds(60));
    assertThat(compensations).hasSize(valid + 1);
    assertThat(streams.state()).isEqualTo(KafkaStreams.State.RUNNING);
    watcher.shutdownNow();
    assertThat(leftRunning).as("Kafka Streams stayed RUNNING").isFalse();
    assertThat(service.registry().find("hindsight.dlq.records").counters()).isNotEmpty();
  }

  private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
    var header = record.headers().lastHeader(name);
    return header == null ? "" : new String(header.value(), StandardCharsets.UTF_8);
  }

  private static ProducerRecord<byte[], byte[]> record(String topic, String key, String value) {
    return new ProducerRecord<>(topic, utf8(key), utf8(value));
  }

  private static String prediction(String id, long ts, String score, String embedding) {
    return "{\"requestId\":\""
        + id
        + "\",\"modelId\":\"m\",\"modelVersion\":\"v1\",\"timestamp\":"
        + ts
        + ",\"score\":"
        + score
        + ",\"embedding\":"
        + embedding
        + "}";
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
