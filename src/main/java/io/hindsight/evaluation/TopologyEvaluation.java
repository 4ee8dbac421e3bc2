package io.hindsight.evaluation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hindsight.HindsightService;
import io.hindsight.StreamsApp;
import io.hindsight.compensation.CompensationApp;
import io.hindsight.compensation.CompensationSettings;
import io.hindsight.compensation.ErrorMemoryStore;
import io.hindsight.compensation.PredictionKeys;
import io.hindsight.compensation.Sample;
import io.hindsight.config.HindsightConfig;
import io.hindsight.config.Topics;
import io.hindsight.datasets.EventLogReader;
import io.hindsight.datasets.LogLine;
import io.hindsight.events.Compensation;
import io.hindsight.events.EventCodec;
import io.hindsight.events.InvalidEventException;
import io.hindsight.events.Prediction;
import io.hindsight.markov.RewriteRule;
import io.hindsight.markov.UtteranceNormalizer;
import io.hindsight.memory.CompensationScores;
import io.hindsight.memory.LabelledSample;
import io.hindsight.rewrite.RewriteApp;
import io.hindsight.rewrite.RewriteReplica;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Consumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;

/**
 * Runs Hindsight's deployed topologies over an event log, deterministically and without a broker
 * (Kafka Streams' TopologyTestDriver), in event-time order. It is prequential by construction: a
 * prediction is compensated from the memory as it stands when the prediction arrives (only samples
 * whose windows closed earlier), and a turn is judged against the rule live when it is spoken
 * (learned from earlier turns only). An exact-kNN oracle reads the same samples beside the sketch.
 */
public final class TopologyEvaluation {

  /**
   * One compensated prediction.
   *
   * @param variants every compensator's score for it, in the order of {@link Result#variants}
   *     (base, reloop2, each field alone, fields, blend-unguarded, blend), from the same replica
   *     state the served score came from
   * @param trust the guard's trust in the blend when it was scored
   */
  public record Row(
      String requestId,
      long timestamp,
      String userId,
      double label,
      double score,
      double compensated,
      double oracle,
      int evidence,
      double[] variants,
      double trust) {}

  /** A rule change: target null for a retraction. */
  public record RuleEvent(long timestamp, String source, String target) {}

  /** One judged turn: whether it was a defect before, and after the live rule (if any). */
  public record Turn(long timestamp, boolean defectBefore, boolean defectAfter) {}

  /** What the rewrite loop would have done to each turn. */
  public record RewriteOutcome(
      List<Turn> timeline,
      long turns,
      long wins,
      long losses,
      long defectsBefore,
      long defectsAfter,
      List<RewriteRule> rulesAtEnd,
      Double precision,
      Double recall) {}

  /** Everything one run measured. */
  public record Result(
      List<String> variants,
      List<Row> rows,
      List<RuleEvent> rules,
      RewriteOutcome rewrites,
      long events,
      long badLines,
      long deadLetters,
      double seconds) {}

  private record Event(long timestamp, long order, String type, String key, byte[] json) {}

  /** Told every few thousand events how many of the log's events have been evaluated. */
  @FunctionalInterface
  public interface Progress {
    void evaluated(long events, long total);
  }

  private final HindsightConfig config;
  private final int oracleCapacity;
  private final Progress progress;

  /**
   * @param oracleCapacity how many recent samples the exact-kNN oracle keeps (its reads scan them)
   * @param progress receives a progress line (count, rate and time left) every few thousand events
   */
  public TopologyEvaluation(HindsightConfig config, int oracleCapacity, Consumer<String> progress) {
    this(config, oracleCapacity, lines(progress));
  }

  public TopologyEvaluation(HindsightConfig config, int oracleCapacity, Progress progress) {
    this.config = config;
    this.oracleCapacity = oracleCapacity;
    this.progress = progress;
  }

  private static Progress lines(Consumer<String> lines) {
    long started = System.nanoTime();
    return (events, total) -> lines.accept(progressLine(events, total, started));
  }

  public Result run(Path input, Map<String, String> truth) throws IOException {
    long started = System.nanoTime();
    List<Event> events = new ArrayList<>();
    long badLines = 0;
    Map<String, double[]> outcomes = new HashMap<>();
    try (EventLogReader reader = EventLogReader.open(input)) {
      long order = 0;
      for (LogLine line : reader) {
        if (line.isError()) {
          badLines++;
          continue;
        }
        ObjectNode event = line.event();
        String type = event.path("type").asText();
        event.remove("type");
        long timestamp = event.path("timestamp").asLong();
        String key =
            type.equals("interaction")
                ? event.path("userId").asText()
                : event.path("requestId").asText();
        if (type.equals("outcome")) {
          outcomes.putIfAbsent(key, new double[] {event.path("label").asDouble(), timestamp});
        }
        events.add(
            new Event(timestamp, order++, type, key, EventCodec.JSON.writeValueAsBytes(event)));
      }
    }
    events.sort(Comparator.comparingLong(Event::timestamp).thenComparingLong(Event::order));
    int[] nextTurnOfUser = nextTurns(events);

    Path stateDir = Files.createTempDirectory("hindsight-evaluate");
    CompensationSettings compensation = CompensationSettings.from(config);
    try (Drivers drivers = new Drivers(stateDir);
        BackgroundOracle oracles = new BackgroundOracle(compensation::sketch, oracleCapacity)) {
      PredictionKeys keys = new PredictionKeys(compensation.featuresDimension());
      EventCodec codec = new EventCodec(Integer.MAX_VALUE, Long.MAX_VALUE / 4, () -> 0L);
      // Per row: the oracle's ticket, or -1 when the row's oracle score is its base score.
      List<Integer> oracleTickets = new ArrayList<>();
      long window = compensation.attributionWindowMs();
      boolean implicitNegatives = compensation.implicitNegatives();
      List<String> variantNames = compensation.newCompensator().variantNames();
      List<Row> rows = new ArrayList<>();
      List<RuleEvent> rules = new ArrayList<>();
      long sequence = 0;
      long turns = 0;
      long wins = 0;
      long losses = 0;
      long defectsBefore = 0;
      List<Turn> timeline = new ArrayList<>();
      long rephrase = config.getLong(HindsightConfig.REWRITE_REPHRASE_GAP_MS);
      for (int i = 0; i < events.size(); i++) {
        Event event = events.get(i);
        switch (event.type()) {
          case "prediction" -> {
            Prediction p;
            try {
              p = codec.prediction(event.json());
            } catch (InvalidEventException e) {
              p = null; // the topology sends it to the dead-letter topic; nothing to score
            }
            float[] key = p == null ? null : keys.of(p);
            String memory = p == null ? "" : Sample.memoryName(p.modelId(), p.modelVersion());
            double score = p == null ? 0 : p.score();
            int oracle =
                key == null || !oracles.hasMemory(memory)
                    ? -1
                    : oracles.read(memory, key, score, event.timestamp());
            // Every variant, from the replica as the processor is about to read it; peeking does
            // not count as a use of the field values, so it changes nothing the processor sees.
            Prediction scoredPrediction = p;
            Optional<CompensationScores> variants =
                p == null
                    ? Optional.empty()
                    : drivers
                        .compensationApp
                        .memory()
                        .flatMap(
                            m ->
                                m.score(
                                    scoredPrediction.modelId(),
                                    scoredPrediction.modelVersion(),
                                    key,
                                    scoredPrediction.score(),
                                    scoredPrediction.timestamp(),
                                    PredictionKeys.fieldValues(
                                        scoredPrediction, compensation.fields()),
                                    false))
                        .map(ErrorMemoryStore.Scored::scores);
            drivers.predictions.pipeInput(event.key(), event.json(), event.timestamp());
            for (TestRecord<String, String> out : drivers.compensations.readRecordsToList()) {
              Compensation c = EventCodec.JSON.readValue(out.value(), Compensation.class);
              double[] outcome = outcomes.get(c.requestId());
              double label =
                  outcome != null && outcome[1] <= c.timestamp() + window
                      ? outcome[0]
                      : (implicitNegatives ? 0.0 : Double.NaN);
              rows.add(
                  new Row(
                      c.requestId(),
                      c.timestamp(),
                      p.userId(),
                      label,
                      c.score(),
                      c.compensatedScore(),
                      score,
                      c.evidence(),
                      variants
                          .map(CompensationScores::variantScores)
                          .orElseGet(() -> passThrough(variantNames.size(), c.score())),
                      c.trust()));
              oracleTickets.add(oracle);
            }
          }
          case "outcome" ->
              drivers.outcomes.pipeInput(event.key(), event.json(), event.timestamp());
          case "interaction" -> {
            JsonNode turn = EventCodec.JSON.readTree(event.json());
            String utterance = UtteranceNormalizer.normalize(turn.path("utterance").asText());
            Optional<RewriteRule> rule = drivers.replica().flatMap(r -> r.rule(utterance));
            turns++;
            boolean before;
            boolean after;
            if (truth != null) {
              String intended = truth.get(utterance);
              before = intended != null;
              after = before;
              if (rule.isPresent()) {
                if (intended != null && intended.equals(rule.get().target())) {
                  wins++;
                  after = false;
                } else {
                  losses++;
                  after = true;
                }
              }
            } else {
              int next = nextTurnOfUser[i];
              boolean defect =
                  next >= 0 && events.get(next).timestamp() - event.timestamp() <= rephrase;
              before = defect;
              after = defect;
              if (rule.isPresent()) {
                String following =
                    next >= 0
                        ? UtteranceNormalizer.normalize(
                            EventCodec.JSON
                                .readTree(events.get(next).json())
                                .path("utterance")
                                .asText())
                        : "";
                if (defect && following.equals(rule.get().target())) {
                  wins++;
                  after = false;
                } else if (!defect) {
                  losses++;
                  after = true;
                }
              }
            }
            if (before) {
              defectsBefore++;
            }
            timeline.add(new Turn(event.timestamp(), before, after));
            drivers.interactions.pipeInput(event.key(), event.json(), event.timestamp());
          }
          default -> {
            badLines++;
          }
        }
        drivers.drainSamples(oracles);
        if (drivers.replica().isPresent()) {
          for (RewriteReplica.SequencedChange change :
              drivers.replica().get().changesAfter(sequence)) {
            sequence = change.sequence();
            rules.add(
                new RuleEvent(
                    change.decidedAt(),
                    change.change().rule().source(),
                    change.change().isTombstone() ? null : change.change().rule().target()));
          }
        }
        if ((i & 4095) == 0) {
          drivers.drainOthers();
          progress.evaluated(i, events.size());
        }
      }
      progress.evaluated(events.size(), events.size());
      RewriteOutcome rewrites = null;
      if (turns > 0) {
        List<RewriteRule> live = drivers.replica().map(RewriteReplica::liveRules).orElse(List.of());
        Double precision = null;
        Double recall = null;
        if (truth != null) {
          long correct =
              live.stream().filter(r -> r.target().equals(truth.get(r.source()))).count();
          precision = live.isEmpty() ? null : (double) correct / live.size();
          recall = truth.isEmpty() ? null : (double) correct / truth.size();
        }
        rewrites =
            new RewriteOutcome(
                timeline,
                turns,
                wins,
                losses,
                defectsBefore,
                defectsBefore - wins + losses,
                live,
                precision,
                recall);
      }
      double[] oracleScores = oracles.results();
      for (int r = 0; r < rows.size(); r++) {
        int ticket = oracleTickets.get(r);
        if (ticket >= 0) {
          Row row = rows.get(r);
          rows.set(
              r,
              new Row(
                  row.requestId(),
                  row.timestamp(),
                  row.userId(),
                  row.label(),
                  row.score(),
                  row.compensated(),
                  oracleScores[ticket],
                  row.evidence(),
                  row.variants(),
                  row.trust()));
        }
      }
      rows.removeIf(r -> Double.isNaN(r.label()));
      return new Result(
          variantNames,
          rows,
          rules,
          rewrites,
          events.size(),
          badLines,
          drivers.deadLetters,
          (System.nanoTime() - started) / 1e9);
    } finally {
      io.hindsight.DataDirectory.delete(stateDir);
    }
  }

  private static double[] passThrough(int variants, double score) {
    double[] scores = new double[variants];
    java.util.Arrays.fill(scores, score);
    return scores;
  }

  private static String progressLine(long done, long total, long started) {
    double seconds = Math.max(1e-3, (System.nanoTime() - started) / 1e9);
    double rate = done / seconds;
    long eta = rate > 0 ? (long) ((total - done) / rate) : 0;
    return String.format(
        "evaluate: %5.1f%% %,d/%,d events, %,.0f events/s, ETA %d s",
        total == 0 ? 100 : 100.0 * done / total, done, total, rate, eta);
  }

  /** For each interaction, the index of the same user's next interaction, or -1. */
  private static int[] nextTurns(List<Event> events) {
    int[] next = new int[events.size()];
    java.util.Arrays.fill(next, -1);
    Map<String, Integer> last = new HashMap<>();
    for (int i = 0; i < events.size(); i++) {
      if (events.get(i).type().equals("interaction")) {
        Integer previous = last.put(events.get(i).key(), i);
        if (previous != null) {
          next[previous] = i;
        }
      }
    }
    return next;
  }

  /** The two topologies in test drivers, with their inputs and outputs. */
  private final class Drivers implements AutoCloseable {
    final TopologyTestDriver compensationDriver;
    final TopologyTestDriver rewriteDriver;
    final CompensationApp compensationApp;
    final RewriteApp rewriteApp;
    final TestInputTopic<String, byte[]> predictions;
    final TestInputTopic<String, byte[]> outcomes;
    final TestInputTopic<String, byte[]> interactions;
    final TestOutputTopic<String, String> compensations;
    final TestOutputTopic<byte[], byte[]> samples;
    final Map<String, TestOutputTopic<byte[], byte[]>> others = new HashMap<>();
    final Topics topics;
    long deadLetters;

    Drivers(Path stateDir) {
      HindsightConfig local =
          config.with(
              Map.of(
                  HindsightConfig.BOOTSTRAP_SERVERS,
                  "evaluation:9092",
                  HindsightConfig.STATE_DIR,
                  stateDir.toString(),
                  HindsightConfig.STATE_STORE_TYPE,
                  "in-memory",
                  HindsightConfig.VALIDATION_MAX_FUTURE_SKEW_MS,
                  Long.toString(Long.MAX_VALUE / 4)));
      topics = Topics.from(local);
      compensationApp = new CompensationApp(local, new SimpleMeterRegistry());
      rewriteApp = new RewriteApp(local);
      Instant start = Instant.EPOCH;
      compensationDriver =
          new TopologyTestDriver(compensationApp.topology(), props(local, compensationApp), start);
      rewriteDriver =
          new TopologyTestDriver(rewriteApp.topology(), props(local, rewriteApp), start);
      predictions =
          compensationDriver.createInputTopic(
              topics.predictions().name(), new StringSerializer(), new ByteArraySerializer());
      outcomes =
          compensationDriver.createInputTopic(
              topics.outcomes().name(), new StringSerializer(), new ByteArraySerializer());
      interactions =
          rewriteDriver.createInputTopic(
              topics.interactions().name(), new StringSerializer(), new ByteArraySerializer());
      compensations =
          compensationDriver.createOutputTopic(
              topics.compensations().name(),
              new org.apache.kafka.common.serialization.StringDeserializer(),
              new org.apache.kafka.common.serialization.StringDeserializer());
      samples =
          compensationDriver.createOutputTopic(
              topics.labelledSamples().name(),
              new ByteArrayDeserializer(),
              new ByteArrayDeserializer());
    }

    private Properties props(HindsightConfig local, StreamsApp app) {
      Properties props = new Properties();
      props.putAll(HindsightService.streamsSettings(local, app));
      // The driver processes each record as it is piped, so a task never has a partition worth
      // waiting for; with idling enabled, Kafka Streams formats a log line for every empty one.
      props.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, StreamsConfig.MAX_TASK_IDLE_MS_DISABLED);
      return props;
    }

    Optional<RewriteReplica> replica() {
      return rewriteApp.replica();
    }

    void drainSamples(BackgroundOracle oracles) {
      for (TestRecord<byte[], byte[]> record : samples.readRecordsToList()) {
        Sample sample = Sample.decode(record.value());
        if (!sample.labelled()) {
          continue;
        }
        oracles.write(
            sample.memoryName(),
            new LabelledSample(sample.key(), sample.label(), sample.score(), sample.timestamp()));
      }
    }

    /** Output the evaluation does not read (changelogs, dead letters, rewrites) is dropped. */
    void drainOthers() {
      for (TopologyTestDriver driver : List.of(compensationDriver, rewriteDriver)) {
        for (String topic : driver.producedTopicNames()) {
          if (topic.equals(topics.compensations().name())
              || topic.equals(topics.labelledSamples().name())) {
            continue;
          }
          TestOutputTopic<byte[], byte[]> output =
              others.computeIfAbsent(
                  driver.hashCode() + "/" + topic,
                  k ->
                      driver.createOutputTopic(
                          topic, new ByteArrayDeserializer(), new ByteArrayDeserializer()));
          long drained = output.getQueueSize();
          output.readRecordsToList();
          if (topic.equals(topics.deadLetters().name())) {
            deadLetters += drained;
          }
        }
      }
    }

    @Override
    public void close() {
      drainOthers();
      compensationDriver.close();
      rewriteDriver.close();
    }
  }
}
