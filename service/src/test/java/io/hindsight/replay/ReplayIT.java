package io.hindsight.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.hindsight.config.HindsightConfig;
import io.hindsight.datasets.EventLogReader;
import io.hindsight.datasets.EventLogWriter;
import io.hindsight.datasets.MalformedEventException;
import io.hindsight.events.EventCodec;
import io.hindsight.testing.KafkaBroker;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 100,000-event log with shuffled timestamps and a few bad lines, replayed into a real broker and
 * read back by an independent consumer.
 */
class ReplayIT {
  @RegisterExtension static final KafkaBroker kafka = new KafkaBroker();

  private static final int EVENTS = 100_000;
  private static final long DAY = TimeUnit.DAYS.toMillis(1);
  private static final long START = System.currentTimeMillis() - 30 * DAY;

  /** Line number → what is wrong with it. */
  private static final Map<Long, String> BAD_LINES =
      new TreeMap<>(
          Map.of(
              17L,
              "{\"type\":\"prediction\",\"requestId\":\"broken\"",
              5_000L,
              "{\"type\":\"click\",\"requestId\":\"c1\",\"timestamp\":" + START + "}",
              60_001L,
              "{\"type\":\"prediction\",\"requestId\":\"p-bad\",\"modelId\":\"m\","
                  + "\"modelVersion\":\"v1\",\"timestamp\":"
                  + START
                  + ",\"score\":1.7,\"embedding\":[1,2,3,4]}",
              EVENTS + 4L,
              "{\"type\":\"outcome\",\"timestamp\":" + START + ",\"label\":1}"));

  @TempDir static Path dir;
  private static Path log;
  private static final Map<String, Integer> expectedPerType = new HashMap<>();

  @BeforeAll
  static void writeShuffledLog() throws IOException {
    log = dir.resolve("events.jsonl");
    Random random = new Random(20240101);
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < EVENTS; i++) {
      // Whole seconds over a day: many events share a timestamp, so stability is exercised too.
      long timestamp = START + TimeUnit.SECONDS.toMillis(random.nextInt(86_400));
      int kind = random.nextInt(10);
      com.fasterxml.jackson.databind.node.ObjectNode event;
      if (kind < 4) {
        event = EventLogWriter.newEvent("prediction");
        event.put("requestId", "req-" + i);
        event.put("modelId", "m");
        event.put("modelVersion", "v1");
        event.put("timestamp", timestamp);
        event.put("score", random.nextDouble());
        var embedding = event.putArray("embedding");
        for (int d = 0; d < 8; d++) {
          embedding.add(random.nextGaussian());
        }
      } else if (kind < 7) {
        event = EventLogWriter.newEvent("outcome");
        event.put("requestId", "req-" + random.nextInt(EVENTS));
        event.put("timestamp", timestamp);
        event.put("label", random.nextInt(2));
      } else {
        event = EventLogWriter.newEvent("interaction");
        event.put("userId", "user-" + random.nextInt(500));
        event.put("timestamp", timestamp);
        event.put("utterance", "play song " + random.nextInt(100));
      }
      event.put("seq", i);
      expectedPerType.merge(event.get("type").asText(), 1, Integer::sum);
      lines.add(event.toString());
    }
    for (Map.Entry<Long, String> bad : BAD_LINES.entrySet()) {
      lines.add((int) (bad.getKey() - 1), bad.getValue());
    }
    try (BufferedWriter out = Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
      for (String line : lines) {
        out.write(line);
        out.write('\n');
      }
    }
  }

  @Test
  void shouldProduceEveryValidEventInEventTimeOrderPerPartitionAndReportBadLines()
      throws IOException {
    HindsightConfig config = config("replay-it.");
    List<MalformedEventException> rejected = new ArrayList<>();
    ReplaySummary summary;
    try (EventLogReader reader = EventLogReader.open(log);
        KafkaEventSink sink = KafkaEventSink.open(config)) {
      summary =
          EventLogReplayer.builder(codec())
              .speed(ReplaySpeed.MAX)
              .onRejectedLine(rejected::add)
              .build()
              .replay(reader, sink);
    }
    System.err.printf(
        "replayed %,d events in %.2f s: %,.0f events/s (reading and sorting took %.2f s)%n",
        summary.producedTotal(),
        summary.produceNanos() / 1e9,
        summary.eventsPerSecond(),
        summary.readNanos() / 1e9);

    assertThat(rejected)
        .extracting(MalformedEventException::lineNumber)
        .containsExactlyElementsOf(BAD_LINES.keySet());
    assertThat(rejected.get(1).reason()).contains("unknown type 'click'");
    assertThat(rejected.get(2).reason()).startsWith("score-out-of-range");
    assertThat(rejected.get(3).reason()).startsWith("missing-field: requestId");
    assertThat(summary.rejectedLines()).isEqualTo(BAD_LINES.size());
    assertThat(summary.producedTotal()).isEqualTo(EVENTS);

    Map<String, String> keyField =
        Map.of("prediction", "requestId", "outcome", "requestId", "interaction", "userId");
    for (String type : List.of("prediction", "outcome", "interaction")) {
      String topic = "replay-it." + type + "s";
      Map<Integer, List<ConsumerRecord<String, String>>> partitions = readAll(topic);
      int count = partitions.values().stream().mapToInt(List::size).sum();
      assertThat(count).as("records in %s", topic).isEqualTo(expectedPerType.get(type));
      assertThat(summary.produced().get(ReplayedType.fromWireName(type).orElseThrow()))
          .isEqualTo((long) count);
      for (Map.Entry<Integer, List<ConsumerRecord<String, String>>> partition :
          partitions.entrySet()) {
        long previousTimestamp = Long.MIN_VALUE;
        long previousSeq = -1;
        for (ConsumerRecord<String, String> record : partition.getValue()) {
          JsonNode value = EventCodec.JSON.readTree(record.value());
          assertThat(value.has("type")).as("type removed from the value").isFalse();
          assertThat(record.key()).isEqualTo(value.get(keyField.get(type)).asText());
          long timestamp = value.get("timestamp").asLong();
          long seq = value.get("seq").asLong();
          assertThat(
                  timestamp > previousTimestamp
                      || (timestamp == previousTimestamp && seq > previousSeq))
              .as(
                  "%s-%d offset %d (t=%d, seq=%d) after t=%d, seq=%d",
                  topic,
                  partition.getKey(),
                  record.offset(),
                  timestamp,
                  seq,
                  previousTimestamp,
                  previousSeq)
              .isTrue();
          previousTimestamp = timestamp;
          previousSeq = seq;
        }
      }
    }
  }

  @Test
  void shouldFailOnTheFirstBadLineAndProduceNothingWhenStrict() throws IOException {
    HindsightConfig config = config("replay-strict.");
    List<MalformedEventException> rejected = new ArrayList<>();
    try (EventLogReader reader = EventLogReader.open(log);
        KafkaEventSink sink = KafkaEventSink.open(config)) {
      EventLogReplayer replayer =
          EventLogReplayer.builder(codec()).strict(true).onRejectedLine(rejected::add).build();
      assertThatThrownBy(() -> replayer.replay(reader, sink))
          .isInstanceOf(MalformedEventException.class)
          .hasMessageStartingWith("line 17: ");
    }

    assertThat(rejected).hasSize(1);
    for (String topic :
        List.of(
            "replay-strict.predictions", "replay-strict.outcomes", "replay-strict.interactions")) {
      assertThat(readAll(topic).values()).as(topic).allMatch(List::isEmpty);
    }
  }

  private static HindsightConfig config(String prefix) {
    return HindsightConfig.of(
        Map.of(
            HindsightConfig.BOOTSTRAP_SERVERS,
            kafka.bootstrapServers(),
            HindsightConfig.TOPIC_PREFIX,
            prefix));
  }

  private static EventCodec codec() {
    return new EventCodec(1 << 20, TimeUnit.HOURS.toMillis(1), System::currentTimeMillis);
  }

  /** Every record of every partition, from the beginning to the current end. */
  private static Map<Integer, List<ConsumerRecord<String, String>>> readAll(String topic) {
    Map<String, Object> settings =
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            kafka.bootstrapServers(),
            ConsumerConfig.GROUP_ID_CONFIG,
            "replay-it-" + UUID.randomUUID(),
            ConsumerConfig.ISOLATION_LEVEL_CONFIG,
            "read_committed",
            ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
            5_000);
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(settings, new StringDeserializer(), new StringDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
        partitions.add(new TopicPartition(topic, info.partition()));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      Map<Integer, List<ConsumerRecord<String, String>>> records = new TreeMap<>();
      partitions.forEach(p -> records.put(p.partition(), new ArrayList<>()));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        assertThat(System.nanoTime()).as("read %s to its end in time", topic).isLessThan(deadline);
        for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
          records.get(record.partition()).add(record);
        }
      }
      return records;
    }
  }
}
