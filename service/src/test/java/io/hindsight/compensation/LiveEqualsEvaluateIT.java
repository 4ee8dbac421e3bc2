package io.hindsight.compensation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hindsight.HindsightService;
import io.hindsight.config.HindsightConfig;
import io.hindsight.datasets.EventLogReader;
import io.hindsight.datasets.EventLogWriter;
import io.hindsight.errors.DeadLetterHandler;
import io.hindsight.evaluation.BinaryMetrics;
import io.hindsight.evaluation.EvaluationReport;
import io.hindsight.evaluation.TopologyEvaluation;
import io.hindsight.events.EventCodec;
import io.hindsight.replay.EventLogReplayer;
import io.hindsight.replay.KafkaEventSink;
import io.hindsight.replay.ReplaySummary;
import io.hindsight.simulation.DriftingWorld;
import io.hindsight.testing.KafkaBroker;
import io.hindsight.testing.TestServices;
import io.micrometer.core.instrument.Counter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * "{@code evaluate} answers what the live service does": one event log, evaluated without a broker
 * and replayed at full speed (the {@code replay} command's own path) into two instances of the
 * compensation app, gives the same compensation for every prediction, within the alignment
 * tolerance, and the same AUC and logloss.
 */
class LiveEqualsEvaluateIT {
  @RegisterExtension static final KafkaBroker kafka = new KafkaBroker();

  private static final int PREDICTIONS = 4_000;
  private static final long START = 1_600_000_000_000L;
  // 0.5 s apart: the log spans 33 minutes of event time, so the default 10-minute attribution
  // windows close on most of it and the memory compensates the later two thirds.
  private static final long STEP_MS = 500;
  private static final long PHASE_MS = 5 * 60_000;
  private static final long MAX_OUTCOME_DELAY_MS = 20_000;

  private static final double METRIC_TOLERANCE = 0.005;
  // A read is served once the replica holds every sample effective before its prediction's time
  // minus compensation.alignment.tolerance.ms; samples effective within that band may or may not
  // be applied by then, depending on when the tasks' progress reaches the replica, in evaluate as
  // live. With the band at 1 ms (the default 3 s keeps real-time reads from waiting) the scores are
  // equal but for reads that stopped waiting after compensation.alignment.max.wait.ms (counted).
  private static final double P99_TOLERANCE = 0.01;

  @RegisterExtension final TestServices services = new TestServices(kafka);

  @TempDir Path dir;

  @Test
  void shouldCompensateEveryReplayedPredictionAsEvaluateDoes() throws Exception {
    Path log = dir.resolve("drifting.jsonl");
    writeLog(log);

    Map<String, String> settings =
        Map.of(
            HindsightConfig.HTTP_PORT,
            "0",
            // Records keep their event time (2020) as their timestamp downstream.
            HindsightConfig.TOPIC_RETENTION_MS,
            "-1",
            HindsightConfig.COMPENSATION_ALIGNMENT_TOLERANCE_MS,
            "1");
    HindsightService first = services.start(services.config("live-eq", settings), this::apps);
    HindsightService second = services.start(services.config("live-eq", settings), this::apps);

    // The same configuration as the live instances: evaluate reads only its compensation.* keys.
    long evaluateStart = System.nanoTime();
    TopologyEvaluation.Result evaluation =
        new TopologyEvaluation(first.config(), 1, line -> {}).run(log, null);
    new EvaluationReport(evaluation, 10, Map.of()).writeTo(dir.resolve("evaluate"));
    Map<String, Evaluated> evaluated = readCompensationsCsv(dir.resolve("evaluate"));
    System.out.printf(
        Locale.ROOT,
        "evaluate: %,d events, %,d compensations, %d dead letters in %.1f s%n",
        evaluation.events(),
        evaluated.size(),
        evaluation.deadLetters(),
        (System.nanoTime() - evaluateStart) / 1e9);
    assertThat(evaluated).as("evaluate's compensations").hasSize(PREDICTIONS);

    await("both instances running with their share of the tasks")
        .atMost(Duration.ofMinutes(1))
        .until(() -> first.isReady() && second.isReady());

    long replayStart = System.nanoTime();
    ReplaySummary summary = replay(first.config(), log);
    System.out.printf(
        Locale.ROOT,
        "replay: %,d events produced in %.1f s%n",
        summary.producedTotal(),
        summary.produceNanos() / 1e9);

    Map<String, List<Double>> live =
        readCompensations(first.topics().compensations().name(), Duration.ofSeconds(90));
    System.out.printf(
        Locale.ROOT,
        "live: %,d predictions compensated %.1f s after the replay started%n",
        live.size(),
        (System.nanoTime() - replayStart) / 1e9);
    List<ConsumerRecord<byte[], byte[]>> deadLetters = readAll(first.topics().deadLetters().name());
    printCounters(first, second);

    Comparison comparison = new Comparison(evaluated, live);
    comparison.print();

    SoftAssertions softly = new SoftAssertions();
    softly
        .assertThat(deadLetters.stream().map(LiveEqualsEvaluateIT::reason).toList())
        .as("dead letters (reasons)")
        .isEmpty();
    softly.assertThat(comparison.missing).as("predictions without a compensation").isEqualTo(0);
    softly
        .assertThat(comparison.duplicated)
        .as("predictions compensated more than once")
        .isEqualTo(0);
    softly.assertThat(live.keySet()).as("compensated request ids").isSubsetOf(evaluated.keySet());
    softly
        .assertThat(comparison.moved)
        .as("evaluate's compensations that moved the base score (equality is not trivial)")
        .isGreaterThan(PREDICTIONS / 3);
    softly
        .assertThat(comparison.liveAuc)
        .as("live AUC against evaluate's")
        .isCloseTo(comparison.evaluateAuc, org.assertj.core.data.Offset.offset(METRIC_TOLERANCE));
    softly
        .assertThat(comparison.liveLogloss)
        .as("live logloss against evaluate's")
        .isCloseTo(
            comparison.evaluateLogloss, org.assertj.core.data.Offset.offset(METRIC_TOLERANCE));
    softly
        .assertThat(comparison.quantile(0.99))
        .as("p99 of |live - evaluate| per prediction")
        .isLessThanOrEqualTo(P99_TOLERANCE);
    softly.assertAll();
  }

  private List<io.hindsight.StreamsApp> apps(
      HindsightConfig config, io.micrometer.core.instrument.MeterRegistry registry) {
    return List.of(new CompensationApp(config, registry));
  }

  /**
   * A drifting recommender's predictions, each with an outcome (positive, or an explicit negative
   * for some) within 20 s or none at all (an implicit negative), in event-time order.
   */
  private static void writeLog(Path file) throws IOException {
    DriftingWorld world =
        new DriftingWorld(11, START, STEP_MS, PHASE_MS, MAX_OUTCOME_DELAY_MS, "v1");
    try (EventLogWriter out = EventLogWriter.open(file)) {
      for (int i = 0; i < PREDICTIONS; i++) {
        out.write(typed(world.nextPrediction().prediction(), "prediction"));
        for (var outcome = world.dueOutcome(); outcome != null; outcome = world.dueOutcome()) {
          out.write(typed(outcome, "outcome"));
        }
      }
    }
  }

  private static ObjectNode typed(Object event, String type) {
    ObjectNode node = (ObjectNode) EventCodec.JSON.valueToTree(event);
    node.put("type", type);
    return node;
  }

  /** As {@code hindsight replay --speed max} does it. */
  private static ReplaySummary replay(HindsightConfig config, Path log) throws IOException {
    EventCodec codec =
        new EventCodec(
            config.getInt(HindsightConfig.VALIDATION_MAX_RECORD_BYTES),
            config.getLong(HindsightConfig.VALIDATION_MAX_FUTURE_SKEW_MS),
            System::currentTimeMillis);
    EventLogReplayer replayer =
        EventLogReplayer.builder(codec)
            .onRejectedLine(
                bad -> {
                  throw new AssertionError("the log has a bad line: " + bad.getMessage());
                })
            .build();
    try (EventLogReader reader = EventLogReader.open(log);
        KafkaEventSink sink = KafkaEventSink.open(config)) {
      return replayer.replay(reader, sink);
    }
  }

  private record Evaluated(double label, double score, double compensated) {}

  private static Map<String, Evaluated> readCompensationsCsv(Path report) throws IOException {
    List<String> lines = Files.readAllLines(report.resolve("compensations.csv"));
    List<String> header = Arrays.asList(lines.get(0).split(","));
    int id = header.indexOf("requestId");
    int label = header.indexOf("label");
    int score = header.indexOf("score");
    int compensated = header.indexOf("compensated");
    Map<String, Evaluated> rows = new LinkedHashMap<>();
    for (String line : lines.subList(1, lines.size())) {
      // The request ids here (drift-N) and the numbers need no CSV quoting.
      String[] cells = line.split(",", -1);
      rows.put(
          cells[id],
          new Evaluated(
              Double.parseDouble(cells[label]),
              Double.parseDouble(cells[score]),
              Double.parseDouble(cells[compensated])));
    }
    return rows;
  }

  /**
   * The compensated scores per request id (more than one if duplicated), read committed until every
   * prediction has one, then a few seconds more for duplicates, or until the timeout.
   */
  private Map<String, List<Double>> readCompensations(String topic, Duration timeout)
      throws IOException {
    Map<String, List<Double>> scores = new HashMap<>();
    long deadline = System.nanoTime() + timeout.toNanos();
    long settledAt = Long.MAX_VALUE;
    try (KafkaConsumer<byte[], byte[]> consumer = consumer()) {
      consumer.subscribe(List.of(topic));
      while (System.nanoTime() < Math.min(deadline, settledAt)) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          JsonNode compensation = EventCodec.JSON.readTree(record.value());
          scores
              .computeIfAbsent(compensation.path("requestId").asText(), k -> new ArrayList<>())
              .add(compensation.path("compensatedScore").asDouble());
        }
        if (scores.size() >= PREDICTIONS && settledAt == Long.MAX_VALUE) {
          settledAt = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        }
      }
    }
    return scores;
  }

  /** Every committed record of {@code topic} as it stands now. */
  private List<ConsumerRecord<byte[], byte[]>> readAll(String topic) {
    List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = consumer()) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic).stream()
              .map(p -> new TopicPartition(topic, p.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))
          && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
      }
    }
    return records;
  }

  private KafkaConsumer<byte[], byte[]> consumer() {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "verify-" + UUID.randomUUID());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 10_000);
    return new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  private static String reason(ConsumerRecord<byte[], byte[]> deadLetter) {
    var header = deadLetter.headers().lastHeader(DeadLetterHandler.REASON);
    return header == null ? "?" : new String(header.value(), StandardCharsets.UTF_8);
  }

  /** What the instances counted, for a reader of the CI log diagnosing a difference. */
  private static void printCounters(HindsightService... instances) {
    for (String name :
        List.of(
            "hindsight.compensation.records",
            "hindsight.compensation.deferred",
            "hindsight.compensation.alignment.timeouts",
            "hindsight.compensation.implicit.negatives",
            "hindsight.compensation.samples.published")) {
      System.out.printf(
          Locale.ROOT,
          "%s: %s%n",
          name,
          Arrays.stream(instances)
              .map(
                  s ->
                      String.format(
                          Locale.ROOT,
                          "%.0f",
                          s.registry().find(name).counters().stream()
                              .mapToDouble(Counter::count)
                              .sum()))
              .collect(Collectors.joining(" + ")));
    }
  }

  /** Live against evaluate, prediction by prediction and in AUC and logloss. */
  private static final class Comparison {
    final int missing;
    final int duplicated;
    final int moved;
    final double baseAuc;
    final double baseLogloss;
    final double evaluateAuc;
    final double evaluateLogloss;
    final double liveAuc;
    final double liveLogloss;
    final double[] gaps;

    /** Where the largest gaps are: "requestId base/evaluate/live", largest first. */
    final List<String> largest;

    Comparison(Map<String, Evaluated> evaluated, Map<String, List<Double>> live) {
      int n = evaluated.size();
      double[] labels = new double[n];
      double[] base = new double[n];
      double[] evaluate = new double[n];
      double[] served = new double[n];
      gaps = new double[n];
      int i = 0;
      int missingCount = 0;
      int movedCount = 0;
      for (Map.Entry<String, Evaluated> row : evaluated.entrySet()) {
        Evaluated e = row.getValue();
        List<Double> scores = live.get(row.getKey());
        labels[i] = e.label();
        base[i] = e.score();
        evaluate[i] = e.compensated();
        // A missing prediction counts as passed through, for the figures; it fails the test.
        served[i] = scores == null ? e.score() : scores.get(0);
        gaps[i] = Math.abs(served[i] - evaluate[i]);
        missingCount += scores == null ? 1 : 0;
        movedCount += Math.abs(e.compensated() - e.score()) > 1e-9 ? 1 : 0;
        i++;
      }
      Integer[] order = new Integer[n];
      Arrays.setAll(order, k -> k);
      Arrays.sort(order, (a, b) -> Double.compare(gaps[b], gaps[a]));
      List<String> ids = new ArrayList<>(evaluated.keySet());
      largest =
          Arrays.stream(order)
              .limit(5)
              .filter(k -> gaps[k] > 0)
              .map(
                  k ->
                      String.format(
                          Locale.ROOT,
                          "%s %.4f/%.4f/%.4f",
                          ids.get(k),
                          base[k],
                          evaluate[k],
                          served[k]))
              .toList();
      Arrays.sort(gaps);
      missing = missingCount;
      moved = movedCount;
      duplicated = (int) live.values().stream().filter(s -> s.size() > 1).count();
      baseAuc = BinaryMetrics.auc(labels, base);
      baseLogloss = BinaryMetrics.logloss(labels, base);
      evaluateAuc = BinaryMetrics.auc(labels, evaluate);
      evaluateLogloss = BinaryMetrics.logloss(labels, evaluate);
      liveAuc = BinaryMetrics.auc(labels, served);
      liveLogloss = BinaryMetrics.logloss(labels, served);
    }

    double quantile(double p) {
      return gaps[Math.min(gaps.length - 1, (int) (p * gaps.length))];
    }

    long beyond(double gap) {
      return Arrays.stream(gaps).filter(g -> g > gap).count();
    }

    void print() {
      System.out.printf(
          Locale.ROOT,
          "predictions %,d: missing %d, duplicated %d; evaluate moved %,d scores off the base%n",
          gaps.length,
          missing,
          duplicated,
          moved);
      System.out.printf(Locale.ROOT, "base     auc %.4f logloss %.4f%n", baseAuc, baseLogloss);
      System.out.printf(
          Locale.ROOT, "evaluate auc %.4f logloss %.4f%n", evaluateAuc, evaluateLogloss);
      System.out.printf(Locale.ROOT, "live     auc %.4f logloss %.4f%n", liveAuc, liveLogloss);
      System.out.printf(
          Locale.ROOT,
          "|live - evaluate| p50 %.2e p90 %.2e p99 %.2e max %.2e; exact %d, beyond 0.01 %d%n",
          quantile(0.5),
          quantile(0.9),
          quantile(0.99),
          gaps[gaps.length - 1],
          gaps.length - beyond(0),
          beyond(0.01));
      System.out.println("largest gaps (base/evaluate/live): " + String.join(", ", largest));
    }
  }
}
