package io.hindsight.evaluation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hindsight.HindsightService;
import io.hindsight.RecordedTopology;
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
import io.hindsight.events.Prediction;
import io.hindsight.markov.RewriteRule;
import io.hindsight.markov.UtteranceNormalizer;
import io.hindsight.memory.LabelledSample;
import io.hindsight.rewrite.RewriteApp;
import io.hindsight.rewrite.RewriteReplica;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Runs Hindsight's deployed topologies over an event log, deterministically and without a broker
 * ({@link InlineTopologyDriver}: the topologies' own processors, in-memory stores), in event-time
 * order. It is prequential by construction: a prediction is compensated from the memory as it
 * stands when the prediction arrives (only samples whose windows closed earlier), and a turn is
 * judged against the rule live when it is spoken (learned from earlier turns only). An exact-kNN
 * oracle reads the same samples beside the sketch.
 */
public final class TopologyEvaluation {

  /**
   * One compensated prediction.
   *
   * @param variants every compensator's score for it, in the order of {@link Result#variants}
   *     (base, reloop2, each field alone, fields, blend-unguarded, blend, then the retraining
   *     reference online-finetune), from the same replica state the served score came from
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
      double seconds,
      Map<String, String> writeModes,
      Map<String, String> reference) {}

  private record Event(long timestamp, long order, String type, String key, byte[] json) {
    byte[] keyBytes() {
      return key.getBytes(StandardCharsets.UTF_8);
    }
  }

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
    try (BackgroundOracle oracles = new BackgroundOracle(compensation::sketch, oracleCapacity);
        Drivers drivers = new Drivers(stateDir, compensation, oracles)) {
      // Per row: the oracle's ticket, or -1 when the row's oracle score is its base score.
      List<Integer> oracleTickets = new ArrayList<>();
      long window = compensation.attributionWindowMs();
      boolean implicitNegatives = compensation.implicitNegatives();
      List<String> variantNames = new ArrayList<>(compensation.newCompensator().variantNames());
      variantNames.add(ONLINE_FINETUNE);
      Map<String, Double> fineTuned = fineTune(events, outcomes, window, implicitNegatives);
      List<Row> rows = new ArrayList<>();
      PredictionKeys keys = new PredictionKeys(compensation.featuresDimension());
      Map<String, String[]> models = new java.util.TreeMap<>();
      drivers.onCompensation(
          (c, p, served) -> {
            double[] outcome = outcomes.get(c.requestId());
            double label =
                outcome != null && outcome[1] <= c.timestamp() + window
                    ? outcome[0]
                    : (implicitNegatives ? 0.0 : Double.NaN);
            String memory = Sample.memoryName(p.modelId(), p.modelVersion());
            models.putIfAbsent(memory, new String[] {p.modelId(), p.modelVersion()});
            // The oracle reads the samples the memory had applied when it served the prediction.
            oracleTickets.add(
                oracles.hasMemory(memory)
                    ? oracles.read(memory, keys.of(p), p.score(), p.timestamp())
                    : -1);
            rows.add(
                new Row(
                    c.requestId(),
                    c.timestamp(),
                    p.userId(),
                    label,
                    c.score(),
                    c.compensatedScore(),
                    c.score(),
                    c.evidence(),
                    withReference(
                        served == null
                            ? passThrough(variantNames.size() - 1, c.score())
                            : served.scores().variantScores(),
                        fineTuned.getOrDefault(c.requestId(), c.score())),
                    c.trust()));
          });
      List<RuleEvent> rules = new ArrayList<>();
      // The rewrite replica and the judging of turns against its rules run on a second thread,
      // in the order the inline run gives them: same decisions, same verdicts.
      Judge judge = new Judge(truth, events, nextTurnOfUser, drivers);
      for (int i = 0; i < events.size(); i++) {
        Event event = events.get(i);
        switch (event.type()) {
          case "prediction" ->
              drivers.compensation.pipe(
                  drivers.topics.predictions().name(),
                  event.keyBytes(),
                  event.json(),
                  event.timestamp());
          case "outcome" ->
              drivers.compensation.pipe(
                  drivers.topics.outcomes().name(),
                  event.keyBytes(),
                  event.json(),
                  event.timestamp());
          case "interaction" -> {
            JsonNode turn = EventCodec.JSON.readTree(event.json());
            String utterance = UtteranceNormalizer.normalize(turn.path("utterance").asText());
            int index = i;
            drivers.replicaLane.submit(() -> judge.judge(index, utterance));
            drivers.rewrite.pipe(
                drivers.topics.interactions().name(),
                event.keyBytes(),
                event.json(),
                event.timestamp());
          }
          default -> {
            badLines++;
          }
        }
        if ((i & 4095) == 0) {
          progress.evaluated(i, events.size());
        }
      }
      drivers.replicaLane.drain();
      if (drivers.replica().isPresent()) {
        for (RewriteReplica.SequencedChange change : drivers.replica().get().changesAfter(0)) {
          rules.add(
              new RuleEvent(
                  change.decidedAt(),
                  change.change().rule().source(),
                  change.change().isTombstone() ? null : change.change().rule().target()));
        }
      }
      long turns = judge.turns;
      long wins = judge.wins;
      long losses = judge.losses;
      long defectsBefore = judge.defectsBefore;
      List<Turn> timeline = judge.timeline;
      // The log's end: its inputs fall idle, so predictions still waiting for the replica are
      // compensated, as a live service's are once its traffic stops.
      for (int pass = 0; pass < 3; pass++) {
        drivers.compensation.advanceWallClock(
            compensation.inputIdleMs() + compensation.punctuateIntervalMs());
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
      Map<String, String> writeModes = new java.util.TreeMap<>();
      ErrorMemoryStore store = drivers.compensationApp.memory().orElseThrow();
      models.forEach(
          (name, model) -> writeModes.put(name, store.writeMode(model[0], model[1]).configName()));
      OnlineFineTuning.Settings reference = OnlineFineTuning.Settings.from(config);
      return new Result(
          variantNames,
          rows,
          rules,
          rewrites,
          events.size(),
          badLines,
          drivers.deadLetters.get(),
          (System.nanoTime() - started) / 1e9,
          writeModes,
          reference.describe());
    } finally {
      io.hindsight.DataDirectory.delete(stateDir);
    }
  }

  /**
   * Judges each turn against the rule live when it is spoken; runs on the replica's lane, so it
   * reads the replica exactly as it stood when the turn arrived.
   */
  private final class Judge {
    final Map<String, String> truth;
    final List<Event> events;
    final int[] nextTurnOfUser;
    final Drivers drivers;
    final long rephrase = config.getLong(HindsightConfig.REWRITE_REPHRASE_GAP_MS);
    final List<Turn> timeline = new ArrayList<>();
    long turns;
    long wins;
    long losses;
    long defectsBefore;

    Judge(Map<String, String> truth, List<Event> events, int[] nextTurnOfUser, Drivers drivers) {
      this.truth = truth;
      this.events = events;
      this.nextTurnOfUser = nextTurnOfUser;
      this.drivers = drivers;
    }

    void judge(int i, String utterance) {
      Event event = events.get(i);
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
        boolean defect = next >= 0 && events.get(next).timestamp() - event.timestamp() <= rephrase;
        before = defect;
        after = defect;
        if (rule.isPresent()) {
          String following =
              next >= 0 ? UtteranceNormalizer.normalize(utteranceOf(events.get(next))) : "";
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
    }
  }

  private static String utteranceOf(Event event) {
    try {
      return EventCodec.JSON.readTree(event.json()).path("utterance").asText();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The variant name of the retraining reference ({@link OnlineFineTuning}). */
  public static final String ONLINE_FINETUNE = "online-finetune";

  /**
   * The retraining reference's score for every prediction of the log, prequentially: a prediction
   * is scored from the labels available strictly before it (an explicit outcome when it arrives
   * within the window; an implicit negative when the window closes).
   */
  private Map<String, Double> fineTune(
      List<Event> events, Map<String, double[]> outcomes, long window, boolean implicitNegatives) {
    OnlineFineTuning reference = new OnlineFineTuning(OnlineFineTuning.Settings.from(config));
    EventCodec codec = new EventCodec(Integer.MAX_VALUE, Long.MAX_VALUE / 4, () -> 0L);
    record Label(long at, long order, Prediction prediction, double label) {}
    java.util.PriorityQueue<Label> due =
        new java.util.PriorityQueue<>(
            Comparator.comparingLong(Label::at).thenComparingLong(Label::order));
    Map<String, Double> scores = new HashMap<>();
    for (Event event : events) {
      if (!event.type().equals("prediction")) {
        continue;
      }
      Prediction prediction;
      try {
        prediction = codec.prediction(event.json());
      } catch (RuntimeException e) {
        continue; // the topology dead-letters it
      }
      if (scores.containsKey(prediction.requestId())) {
        continue;
      }
      while (!due.isEmpty() && due.peek().at() < prediction.timestamp()) {
        Label l = due.poll();
        reference.learn(l.prediction(), l.label());
      }
      scores.put(prediction.requestId(), reference.score(prediction));
      double[] outcome = outcomes.get(prediction.requestId());
      if (outcome != null && outcome[1] <= prediction.timestamp() + window) {
        due.add(
            new Label(
                Math.max((long) outcome[1], prediction.timestamp()),
                event.order(),
                prediction,
                outcome[0]));
      } else if (implicitNegatives) {
        due.add(new Label(prediction.timestamp() + window, event.order(), prediction, 0.0));
      }
    }
    return scores;
  }

  private static double[] withReference(double[] variants, double reference) {
    double[] all = java.util.Arrays.copyOf(variants, variants.length + 1);
    all[variants.length] = reference;
    return all;
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

  /** Told of each compensation as published, with its prediction and what it was served from. */
  @FunctionalInterface
  private interface CompensationListener {
    void accept(Compensation compensation, Prediction prediction, ErrorMemoryStore.Scored served);
  }

  /** The two topologies in in-process drivers, with the outputs the evaluation reads. */
  private final class Drivers implements AutoCloseable {
    final InlineTopologyDriver compensation;
    final InlineTopologyDriver rewrite;
    final CompensationApp compensationApp;
    final RewriteApp rewriteApp;
    final Topics topics;

    /** Predictions read and not yet compensated, by requestId. */
    private final Map<String, Prediction> read = new HashMap<>();

    /** What the prediction being compensated was served from; null when it had no memory. */
    private ErrorMemoryStore.Scored served;

    private CompensationListener compensated = (c, p, s) -> {};

    final java.util.concurrent.atomic.AtomicLong deadLetters =
        new java.util.concurrent.atomic.AtomicLong();
    final Lane replicaLane = new Lane("evaluate-rewrite-replica");

    Drivers(Path stateDir, CompensationSettings settings, BackgroundOracle oracles) {
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
      compensationApp.provisioned(1); // one task reads the whole log
      rewriteApp = new RewriteApp(local, true); // every rule change: the report lists them
      compensation = driver(local, compensationApp, compensationApp.topology(), stateDir);
      rewrite = driver(local, rewriteApp, rewriteApp.topology(), stateDir);
      compensation.onInput(
          topics.predictions().name(),
          record -> {
            Prediction p = (Prediction) record.value();
            read.putIfAbsent(p.requestId(), p);
          });
      ErrorMemoryStore memory = compensationApp.memory().orElseThrow();
      memory.onServed(scored -> served = scored);
      memory.onApplied(
          sample ->
              oracles.write(
                  sample.memoryName(),
                  new LabelledSample(
                      sample.key(), sample.label(), sample.score(), sample.timestamp())));
      compensation.onOutput(
          topics.compensations().name(),
          record -> {
            Compensation c = (Compensation) record.value();
            compensated.accept(c, read.remove(c.requestId()), served);
            served = null;
          });
      for (InlineTopologyDriver driver : List.of(compensation, rewrite)) {
        driver.onOutput(topics.deadLetters().name(), record -> deadLetters.incrementAndGet());
      }
      rewrite.applyGlobalsOn(replicaLane);
    }

    private static InlineTopologyDriver driver(
        HindsightConfig local, StreamsApp app, RecordedTopology topology, Path stateDir) {
      return new InlineTopologyDriver(
          topology,
          HindsightService.streamsSettings(local, app),
          stateDir.resolve(app.name()).toFile());
    }

    void onCompensation(CompensationListener listener) {
      compensated = listener;
    }

    Optional<RewriteReplica> replica() {
      return rewriteApp.replica();
    }

    @Override
    public void close() {
      compensation.close();
      replicaLane.close();
      rewrite.close();
    }
  }
}
