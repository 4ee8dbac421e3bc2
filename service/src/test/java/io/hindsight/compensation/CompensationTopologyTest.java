package io.hindsight.compensation;

import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.HindsightService;
import io.hindsight.config.HindsightConfig;
import io.hindsight.errors.DeadLetterHandler;
import io.hindsight.events.Compensation;
import io.hindsight.events.Outcome;
import io.hindsight.events.Prediction;
import io.hindsight.testing.Directories;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The compensation topology, one record at a time, in TopologyTestDriver. */
class CompensationTopologyTest {
  private static final long T0 = 1_600_000_000_000L;
  private static final long WINDOW = 60_000;
  private static final long GRACE = 30_000;

  private Path stateDir;
  private TopologyTestDriver driver;
  private CompensationApp app;
  private TestInputTopic<String, String> predictions;
  private TestInputTopic<String, String> outcomes;
  private TestOutputTopic<String, String> compensations;
  private TestOutputTopic<byte[], byte[]> deadLetters;
  private TestOutputTopic<byte[], byte[]> samplesTopic;

  /** How many compensation tasks the topology is told of; the driver runs task 0 alone. */
  private int tasks = 1;

  @AfterEach
  void close() {
    if (driver != null) {
      driver.close();
    }
    Directories.delete(stateDir);
  }

  private void start(Map<String, String> overrides) throws Exception {
    stateDir = Files.createTempDirectory("hindsight-ttd");
    Map<String, String> values = new HashMap<>();
    values.put(HindsightConfig.BOOTSTRAP_SERVERS, "unused:9092");
    values.put(HindsightConfig.STATE_DIR, stateDir.toString());
    values.put(HindsightConfig.COMPENSATION_ATTRIBUTION_WINDOW_MS, Long.toString(WINDOW));
    values.put(HindsightConfig.COMPENSATION_OUTCOME_GRACE_MS, Long.toString(GRACE));
    values.put(HindsightConfig.COMPENSATION_MEMORY_ARRAYS, "8");
    values.put(HindsightConfig.COMPENSATION_MEMORY_BITS, "4");
    values.put(HindsightConfig.COMPENSATION_MEMORY_STORE, "onheap");
    values.put(HindsightConfig.COMPENSATION_LAMBDA, "1.0");
    // The paper's formula, so expectations are exact; blend-mode tests override it.
    values.put(HindsightConfig.COMPENSATION_MODE, "reloop2");
    values.put(HindsightConfig.VALIDATION_MAX_FUTURE_SKEW_MS, Long.toString(Long.MAX_VALUE / 4));
    values.putAll(overrides);
    HindsightConfig config = HindsightConfig.load(null, Map.of(), values);
    app = new CompensationApp(config, new SimpleMeterRegistry());
    app.provisioned(tasks);
    Properties props = new Properties();
    props.putAll(HindsightService.streamsSettings(config, app));
    driver = new TopologyTestDriver(app.topology(), props);
    predictions =
        driver.createInputTopic("predictions", new StringSerializer(), new StringSerializer());
    outcomes = driver.createInputTopic("outcomes", new StringSerializer(), new StringSerializer());
    compensations =
        driver.createOutputTopic(
            "compensations", new StringDeserializer(), new StringDeserializer());
    deadLetters =
        driver.createOutputTopic("dlq", new ByteArrayDeserializer(), new ByteArrayDeserializer());
    samplesTopic =
        driver.createOutputTopic(
            "labelled-samples", new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  /** Labels of the samples published so far, by requestId (dimension declarations left out). */
  private Map<String, Double> publishedLabels() {
    Map<String, Double> labels = new HashMap<>();
    for (byte[] value : samplesTopic.readValuesToList()) {
      if (ReplicaProgress.isEncoded(value) || Sample.isLateFeatures(value)) {
        continue;
      }
      Sample sample = Sample.decode(value);
      if (sample.labelled()) {
        labels.put(sample.requestId(), sample.label());
      }
    }
    return labels;
  }

  private void predict(String id, long ts, double score, String version, float... embedding) {
    predictions.pipeInput(
        id, json(new Prediction(id, "m", version, ts, score, embedding, null, "u", "i")), ts);
  }

  private void outcome(String id, long ts, double label) {
    outcomes.pipeInput(id, json(new Outcome(id, ts, label)), ts);
  }

  /**
   * Moves both inputs to {@code ts} (a prediction and its negative outcome), then lets the wall
   * clock tick so that predictions waiting for the replica are compensated.
   */
  private void tick(String id, long ts) {
    predict(id, ts, 0.2, "v1", 1, 0, 0, 0);
    outcome(id, ts, 0.0);
    settle();
  }

  /**
   * Wall-clock punctuations: windows the inputs have passed close, the replica takes the samples
   * and the progress, and predictions it is now aligned for are compensated.
   */
  private void settle() {
    // A round each: the task publishes its progress, the replica serves reads, the task takes them.
    for (int round = 0; round < 6; round++) {
      driver.advanceWallClockTime(java.time.Duration.ofMillis(200));
    }
  }

  /** Lets the wall clock run past the idle time: both inputs go idle, as at the end of a stream. */
  private void idle() {
    driver.advanceWallClockTime(java.time.Duration.ofMillis(10_200));
    settle();
  }

  private long samples() {
    return app.memory().orElseThrow().samples();
  }

  private List<String> deadLetterReasons() {
    return deadLetters.readRecordsToList().stream()
        .map(TestRecord::headers)
        .map(
            h -> new String(h.lastHeader(DeadLetterHandler.REASON).value(), StandardCharsets.UTF_8))
        .toList();
  }

  @Test
  void shouldPassTheScoreThroughWithNoEvidenceWhileTheMemoryIsEmpty() throws Exception {
    start(Map.of());
    predict("r1", T0, 0.3, "v1", 1, 0, 0, 0);
    // The model's first prediction waits until its task has closed through it: here, idle inputs.
    idle();
    Compensation c = read(compensations.readValue());
    assertThat(c.requestId()).isEqualTo("r1");
    assertThat(c.compensatedScore()).isEqualTo(0.3);
    assertThat(c.evidence()).isZero();
    assertThat(compensations.isEmpty()).isTrue();
  }

  @Test
  void shouldWriteASampleOnlyWhenItsAttributionWindowCloses() throws Exception {
    start(Map.of());
    predict("r1", T0, 0.2, "v1", 1, 0, 0, 0);
    outcome("r1", T0 + 1_000, 1.0);
    assertThat(samples()).as("positive not written before the window closes").isZero();
    predict("r2", T0 + WINDOW - 1, 0.2, "v1", 1, 0, 0, 0);
    assertThat(samples()).isZero();
    tick("r3", T0 + WINDOW + 1_000);
    assertThat(samples()).isEqualTo(1);
  }

  @Test
  void shouldWritePositivesAtOnceInEagerMode() throws Exception {
    start(Map.of(HindsightConfig.COMPENSATION_WRITE_MODE, "eager"));
    predict("r1", T0, 0.2, "v1", 1, 0, 0, 0);
    outcome("r1", T0 + 1_000, 1.0);
    assertThat(publishedLabels()).as("published at its outcome").containsEntry("r1", 1.0);
    // Replicas apply it once no prediction before its outcome can still be read.
    predict("r2", T0 + 2_000, 0.2, "v1", 1, 0, 0, 0);
    assertThat(samples()).isEqualTo(1);
    tick("r3", T0 + 3 * WINDOW);
    tick("r4", T0 + 3 * WINDOW + 1);
    assertThat(samples())
        .as("r1 not written twice at close; r2 closed as a negative, r3's negative at once")
        .isEqualTo(3);
  }

  @Test
  void shouldWriteAtOnceInAutoModeOnceEveryPredictionGotAnOutcomeAndSomeWereNegative()
      throws Exception {
    start(Map.of());
    predict("r1", T0, 0.2, "v1", 1, 0, 0, 0);
    outcome("r1", T0 + 1_000, 0.0);
    predict("r2", T0 + WINDOW / 2, 0.2, "v1", 1, 0, 0, 0);
    outcome("r2", T0 + WINDOW / 2 + 1_000, 1.0);
    assertThat(publishedLabels()).as("the first two windows are written on close").isEmpty();
    predict("r3", T0 + 3 * WINDOW, 0.2, "v1", 1, 0, 0, 0);
    outcome("r3", T0 + 3 * WINDOW + 1_000, 1.0);
    assertThat(publishedLabels()).as("published at its outcome").containsEntry("r3", 1.0);
  }

  @Test
  void shouldStayOnCloseInAutoModeWhereNegativesAreImplicit() throws Exception {
    start(Map.of());
    predict("r1", T0, 0.2, "v1", 1, 0, 0, 0);
    outcome("r1", T0 + 1_000, 1.0);
    predict("r2", T0 + 10, 0.2, "v1", 1, 0, 0, 0); // never answered: an implicit negative
    predict("r3", T0 + WINDOW / 2, 0.2, "v1", 1, 0, 0, 0);
    outcome("r3", T0 + WINDOW / 2 + 1_000, 0.0); // some negatives are explicit all the same
    predict("r4", T0 + 3 * WINDOW, 0.2, "v1", 1, 0, 0, 0);
    outcome("r4", T0 + 3 * WINDOW + 1_000, 1.0);
    assertThat(publishedLabels()).as("r4 waits for its window").doesNotContainKey("r4");
  }

  @Test
  void shouldWriteAnUnansweredPredictionAsAnImplicitNegative() throws Exception {
    start(Map.of());
    predict("r1", T0, 0.9, "v1", 1, 0, 0, 0);
    predict("r2", T0 + 2 * WINDOW, 0.9, "v1", 1, 0, 0, 0);
    assertThat(samples()).as("no outcome has passed r1's window").isZero();
    idle();
    assertThat(samples()).as("the idle outcomes input follows the predictions").isEqualTo(1);
    Compensation second = read(compensations.readValuesToList().get(1));
    // r2 waited for r1's window, which ended before r2's time, as evaluate would
    assertThat(second.evidence()).isPositive();
    predict("r3", T0 + 2 * WINDOW + 1, 0.9, "v1", 1, 0, 0, 0);
    Compensation third = read(compensations.readValue());
    assertThat(third.evidence()).isPositive();
    assertThat(third.compensatedScore()).as("pulled towards the label 0").isLessThan(0.9);
  }

  @Test
  void shouldDropUnansweredPredictionsWhenImplicitNegativesAreOff() throws Exception {
    start(Map.of(HindsightConfig.COMPENSATION_IMPLICIT_NEGATIVES, "false"));
    predict("r1", T0, 0.9, "v1", 1, 0, 0, 0);
    predict("r2", T0 + 2 * WINDOW, 0.9, "v1", 1, 0, 0, 0);
    idle();
    assertThat(samples()).isZero();
  }

  @Test
  void shouldRejectOrphanLateAndDuplicateOutcomesWithTheirReasons() throws Exception {
    start(Map.of(HindsightConfig.COMPENSATION_OUTCOME_GRACE_MS, "0"));
    predict("r1", T0, 0.5, "v1", 1, 0, 0, 0);
    predict("r2", T0, 0.5, "v1", 1, 0, 0, 0);
    outcome("nobody", T0 + 10, 1.0);
    outcome("r1", T0 + 10, 1.0);
    outcome("r1", T0 + 20, 0.0);
    outcome("r2", T0 + WINDOW + 5, 1.0);
    outcome("r1", T0 + 2 * WINDOW - 5, 1.0);
    predict("r3", T0 + 2 * WINDOW, 0.5, "v1", 1, 0, 0, 0);
    outcome("r3", T0 + 2 * WINDOW + 1, 1.0);
    predict("r3", T0 + 2 * WINDOW + 3, 0.5, "v1", 1, 0, 0, 0);
    assertThat(deadLetterReasons())
        .containsExactly(
            "orphan-outcome",
            "duplicate-outcome",
            "late-outcome",
            "late-outcome",
            "duplicate-prediction");
    assertThat(samples()).as("r1 (label 1) and r2 (implicit 0) written once each").isEqualTo(2);
  }

  @Test
  void shouldAttachAnOutcomeReadAfterThePredictionsRanFarAheadOfIt() throws Exception {
    // On close: the tick's explicit negative would otherwise make auto mode publish it at once.
    start(Map.of(HindsightConfig.COMPENSATION_WRITE_MODE, "on-close"));
    predict("r1", T0, 0.2, "v1", 1, 0, 0, 0);
    // The predictions partition ran a day ahead: that closes no window an outcome has not passed.
    predict("r2", T0 + 86_400_000, 0.2, "v1", 1, 0, 0, 0);
    outcome("r1", T0 + WINDOW - 1, 1.0);
    tick("tick", T0 + 86_400_000 + 1);
    assertThat(deadLetterReasons()).isEmpty();
    assertThat(publishedLabels()).containsExactly(Map.entry("r1", 1.0));
  }

  @Test
  void shouldAttachAnOutcomeSentOutOfOrderWhenWithinTheLateness() throws Exception {
    start(
        Map.of(
            HindsightConfig.COMPENSATION_WINDOW_LATENESS_MS,
            Long.toString(WINDOW),
            HindsightConfig.COMPENSATION_WRITE_MODE,
            "on-close"));
    predict("r1", T0, 0.2, "v1", 1, 0, 0, 0);
    predict("r2", T0 + WINDOW, 0.2, "v1", 1, 0, 0, 0);
    // The outcomes' producer sent r2's outcome before r1's.
    outcome("r2", T0 + WINDOW + 1_000, 1.0);
    outcome("r1", T0 + WINDOW - 1, 1.0);
    tick("tick", T0 + 2 * WINDOW + 1);
    assertThat(deadLetterReasons()).isEmpty();
    assertThat(publishedLabels()).containsExactly(Map.entry("r1", 1.0));
  }

  @Test
  void shouldRejectAnOutcomeSentAfterTheOutcomesPassedItsWindowWithoutLateness() throws Exception {
    start(Map.of());
    predict("r1", T0, 0.2, "v1", 1, 0, 0, 0);
    predict("r2", T0 + WINDOW, 0.2, "v1", 1, 0, 0, 0);
    outcome("r2", T0 + WINDOW + 1_000, 1.0);
    outcome("r1", T0 + WINDOW - 1, 1.0);
    assertThat(deadLetterReasons()).containsExactly("late-outcome");
    assertThat(publishedLabels()).containsExactly(Map.entry("r1", 0.0));
  }

  @Test
  void shouldCompensateAPredictionFromTheSamplesBeforeItAndNoneAfter() throws Exception {
    start(Map.of());
    predict("r1", T0, 0.2, "v1", 1, 0, 0, 0);
    outcome("r1", T0 + 1_000, 1.0);
    // Read before the outcomes have passed r1's window, which closes before its time.
    predict("q1", T0 + WINDOW + 5_000, 0.2, "v1", 1, 0, 0, 0);
    // Read before the outcomes have passed its time, but after r1's window closes.
    predict("q0", T0 + WINDOW - 5_000, 0.2, "v1", 1, 0, 0, 0);
    settle();
    assertThat(compensations.readValuesToList())
        .as("both wait for the replica to hold every sample before them")
        .hasSize(1); // r1
    tick("tick", T0 + 2 * WINDOW);
    Map<String, Compensation> byId = new HashMap<>();
    compensations.readValuesToList().stream()
        .map(this::read)
        .forEach(c -> byId.put(c.requestId(), c));
    assertThat(byId).containsOnlyKeys("q0", "q1", "tick");
    assertThat(byId.get("q0").evidence()).as("r1's window closed after q0").isZero();
    assertThat(byId.get("q1").evidence()).as("r1's window closed before q1").isPositive();
    assertThat(byId.get("q1").compensatedScore()).isGreaterThan(0.2);
  }

  @Test
  void shouldStopWaitingForATaskThatNeverSpeaksOnceTheAlignmentStoodStillForTheMaxWait()
      throws Exception {
    tasks = 2; // task 1 never runs here
    start(Map.of());
    predict("r1", T0, 0.3, "v1", 1, 0, 0, 0);
    for (int ms = 0; ms < 4_500; ms += 500) {
      driver.advanceWallClockTime(java.time.Duration.ofMillis(500));
    }
    assertThat(compensations.isEmpty()).as("waiting for task 1").isTrue();
    for (int ms = 0; ms < 1_500; ms += 500) {
      driver.advanceWallClockTime(java.time.Duration.ofMillis(500));
    }
    assertThat(read(compensations.readValue()).requestId()).isEqualTo("r1");
  }

  @Test
  void shouldCompensateEveryPredictionOnceWhenOutcomesAreReadFarAhead() throws Exception {
    start(Map.of(HindsightConfig.COMPENSATION_ALIGNMENT_MAX_WAIT_MS, "100000000"));
    int n = 60;
    long hour = 3_600_000;
    // The outcomes' producer ran ahead: each batch of outcomes is read before its predictions.
    for (int batch = 0; batch < n; batch += 20) {
      for (int i = batch; i < batch + 20; i++) {
        outcome("r" + i, T0 + i * hour + 1_000, i % 2);
      }
      for (int i = batch; i < batch + 20; i++) {
        predict("r" + i, T0 + i * hour, 0.4, "v1", 1, 0, 0, 0);
      }
    }
    tick("tick", T0 + n * hour + 1);
    idle();
    Map<String, Integer> counts = new HashMap<>();
    compensations.readValuesToList().stream()
        .map(this::read)
        .forEach(c -> counts.merge(c.requestId(), 1, Integer::sum));
    assertThat(deadLetterReasons()).isEmpty();
    assertThat(counts).hasSize(n + 1).allSatisfy((id, count) -> assertThat(count).isOne());
  }

  @Test
  void shouldCloseAPredictionThatArrivesAfterItsWindowAtTheNextPunctuation() throws Exception {
    start(Map.of());
    predict("r1", T0, 0.5, "v1", 1, 0, 0, 0);
    tick("r2", T0 + 3 * WINDOW);
    assertThat(samples()).isEqualTo(1);
    predict("old", T0 + 10, 0.5, "v1", 1, 0, 0, 0);
    tick("r3", T0 + 3 * WINDOW + 5_000);
    assertThat(samples()).as("the late prediction closed, as an implicit negative").isEqualTo(2);
  }

  @Test
  void shouldForgetAClosedRequestOneWindowAfterItClosed() throws Exception {
    start(Map.of(HindsightConfig.COMPENSATION_OUTCOME_GRACE_MS, "0"));
    predict("r1", T0, 0.5, "v1", 1, 0, 0, 0);
    outcome("r1", T0 + WINDOW + 1_001, 1.0);
    tick("tick", T0 + 2 * WINDOW + 2_000);
    outcome("r1", T0 + 2 * WINDOW + 2_001, 1.0);
    predict("r1", T0 + 2 * WINDOW + 2_002, 0.5, "v1", 1, 0, 0, 0);
    settle();
    assertThat(deadLetterReasons()).containsExactly("late-outcome", "orphan-outcome");
    assertThat(compensations.readValuesToList()).as("r1 accepted again once forgotten").hasSize(3);
  }

  @Test
  void shouldLabelAPredictionWithTheOutcomeThatArrivedBeforeIt() throws Exception {
    start(Map.of());
    outcome("r1", T0 + 500, 1.0);
    predict("r1", T0, 0.2, "v1", 1, 0, 0, 0);
    predict("r2", T0 + 10, 0.2, "v1", 1, 0, 0, 0);
    tick("tick", T0 + WINDOW + 1_000);
    assertThat(publishedLabels()).containsExactlyInAnyOrderEntriesOf(Map.of("r1", 1.0, "r2", 0.0));
    assertThat(deadLetterReasons()).isEmpty();
    assertThat(compensations.readValuesToList()).hasSize(3);
  }

  @Test
  void shouldSendAnOutcomeToTheDeadLetterTopicWhenItsPredictionMissesTheGracePeriod()
      throws Exception {
    start(Map.of());
    outcome("nobody", T0, 1.0);
    predict("r1", T0 + GRACE - 1, 0.2, "v1", 1, 0, 0, 0);
    assertThat(deadLetters.isEmpty()).as("still within its grace").isTrue();
    predict("r2", T0 + GRACE + 1_000, 0.2, "v1", 1, 0, 0, 0);
    TestRecord<byte[], byte[]> dead = deadLetters.readRecord();
    assertThat(new String(dead.key(), StandardCharsets.UTF_8)).isEqualTo("nobody");
    assertThat(header(dead, DeadLetterHandler.REASON)).isEqualTo("orphan-outcome");
    assertThat(header(dead, DeadLetterHandler.SOURCE_TOPIC)).isEqualTo("outcomes");
    assertThat(header(dead, DeadLetterHandler.OFFSET)).isEqualTo("0");
    assertThat(io.hindsight.events.EventCodec.JSON.readValue(dead.value(), Outcome.class))
        .isEqualTo(new Outcome("nobody", T0, 1.0));
    predict("nobody", T0 + GRACE + 2_000, 0.2, "v1", 1, 0, 0, 0);
    tick("tick", T0 + GRACE + 2 * WINDOW);
    assertThat(publishedLabels())
        .as("a prediction after the orphan's grace does not take it")
        .containsEntry("nobody", 0.0);
  }

  @Test
  void shouldRejectAnEarlyOutcomeOutsideItsPredictionsWindowOrRepeated() throws Exception {
    start(Map.of());
    outcome("far", T0 + WINDOW + 10, 1.0);
    outcome("twice", T0 + WINDOW + 11, 1.0);
    outcome("twice", T0 + WINDOW + 12, 0.0);
    predict("far", T0, 0.2, "v1", 1, 0, 0, 0);
    predict("twice", T0 + WINDOW, 0.2, "v1", 1, 0, 0, 0);
    tick("tick", T0 + 3 * WINDOW);
    assertThat(deadLetterReasons()).containsExactly("duplicate-outcome", "late-outcome");
    assertThat(publishedLabels()).containsEntry("far", 0.0).containsEntry("twice", 1.0);
  }

  @Test
  void shouldPublishAnEarlyPositiveWithItsPredictionInEagerMode() throws Exception {
    start(Map.of(HindsightConfig.COMPENSATION_WRITE_MODE, "eager"));
    outcome("r1", T0 + 5, 1.0);
    predict("r1", T0, 0.2, "v1", 1, 0, 0, 0);
    tick("tick", T0 + 3 * WINDOW);
    tick("later", T0 + 3 * WINDOW + 1);
    assertThat(samples())
        .as("r1 once, not again at its close; the tick's negative (later's waits for a later read)")
        .isEqualTo(2);
  }

  @Test
  void shouldRejectAnEmbeddingWhoseDimensionDiffersFromTheModelVersion() throws Exception {
    start(Map.of());
    predict("r1", T0, 0.5, "v1", 1, 0, 0, 0);
    predict("r2", T0, 0.5, "v1", 1, 0, 0);
    predict("r3", T0, 0.5, "v2", 1, 0, 0);
    idle();
    assertThat(deadLetterReasons()).containsExactly("embedding-dimension-mismatch");
    assertThat(compensations.readValuesToList()).hasSize(2);
  }

  @Test
  void shouldKeepModelVersionsInSeparateMemories() throws Exception {
    start(Map.of());
    for (int i = 0; i < 20; i++) {
      predict("a" + i, T0 + i, 0.1, "v1", 1, 0, 0, 0);
      outcome("a" + i, T0 + i + 1, 1.0);
    }
    tick("tick", T0 + 2 * WINDOW);
    compensations.readValuesToList();
    predict("old", T0 + 2 * WINDOW + 1, 0.1, "v1", 1, 0, 0, 0);
    predict("new", T0 + 2 * WINDOW + 2, 0.1, "v2", 1, 0, 0, 0);
    List<Compensation> out = compensations.readValuesToList().stream().map(this::read).toList();
    assertThat(out.get(0).evidence()).isPositive();
    assertThat(out.get(0).compensatedScore()).isGreaterThan(0.5);
    assertThat(out.get(1).evidence()).as("a new version starts empty").isZero();
    assertThat(out.get(1).compensatedScore()).isEqualTo(0.1);
  }

  @Test
  void shouldCompensateWhenSimilarErrorsRepeat() throws Exception {
    start(Map.of(HindsightConfig.COMPENSATION_LAMBDA, "0.5"));
    for (int i = 0; i < 50; i++) {
      predict("x" + i, T0 + i, 0.2, "v1", 0, 1, 0.1f, 0);
      outcome("x" + i, T0 + i + 1, 1.0);
    }
    tick("tick", T0 + 2 * WINDOW);
    compensations.readValuesToList();
    predict("q", T0 + 2 * WINDOW + 1, 0.2, "v1", 0, 1, 0.1f, 0);
    Compensation c = read(compensations.readValue());
    assertThat(c.compensatedScore())
        .isCloseTo(0.2 + 0.5 * (1.0 - 0.2), org.assertj.core.data.Offset.offset(1e-9));
  }

  @Test
  void shouldCompensateFromAUsersFieldMemoryInFieldsMode() throws Exception {
    start(Map.of(HindsightConfig.COMPENSATION_MODE, "fields"));
    // The same user clicks on items the model scores at 0.2, each seen from a different direction,
    // so only the user's field memory holds the pattern.
    for (int i = 0; i < 40; i++) {
      float angle = (float) (i * 0.7);
      predictions.pipeInput(
          "x" + i,
          json(
              new Prediction(
                  "x" + i,
                  "m",
                  "v1",
                  T0 + i,
                  0.2,
                  new float[] {(float) Math.cos(angle), (float) Math.sin(angle), 0, 0},
                  null,
                  "alice",
                  "item" + i)),
          T0 + i);
      outcome("x" + i, T0 + i + 1, 1.0);
    }
    tick("tick", T0 + 2 * WINDOW);
    compensations.readValuesToList();
    predictions.pipeInput(
        "q",
        json(
            new Prediction(
                "q",
                "m",
                "v1",
                T0 + 2 * WINDOW + 1,
                0.2,
                new float[] {0, 0, 0, 1},
                null,
                "alice",
                "new")),
        T0 + 2 * WINDOW + 1);
    Compensation c = read(compensations.readValue());
    // prior 10, 40 residuals of +0.8: estimate 0.8 * 40 / 50 = 0.64, served 0.2 + λ·0.64.
    assertThat(c.mode()).isEqualTo("fields");
    assertThat(c.fieldEvidence()).isEqualTo(40.0);
    assertThat(c.compensatedScore())
        .isCloseTo(0.2 + 1.0 * 0.64, org.assertj.core.data.Offset.offset(1e-6));
  }

  @Test
  void shouldStayWithinHalfAPercentOfACalibratedDriftFreeBaseInBlendMode() throws Exception {
    start(
        Map.of(
            HindsightConfig.COMPENSATION_MODE, "blend",
            HindsightConfig.COMPENSATION_LAMBDA, "0.5",
            HindsightConfig.COMPENSATION_GUARD_HALF_LIFE_MS, "600000"));
    java.util.SplittableRandom random = new java.util.SplittableRandom(3);
    int n = 8_000;
    double[] labels = new double[n];
    double[] base = new double[n];
    double[] served = new double[n];
    int fallbacks = 0;
    for (int i = 0; i < n; i++) {
      long ts = T0 + i * 100L;
      float[] embedding = new float[4];
      for (int k = 0; k < 4; k++) {
        embedding[k] = (float) random.nextGaussian();
      }
      double score = 1 / (1 + Math.exp(-(embedding[0] - embedding[1] - 0.5)));
      double label = random.nextDouble() < score ? 1.0 : 0.0;
      String id = "c" + i;
      predictions.pipeInput(
          id,
          json(
              new Prediction(
                  id,
                  "m",
                  "v1",
                  ts,
                  score,
                  embedding,
                  null,
                  "u" + random.nextInt(300),
                  "i" + random.nextInt(100))),
          ts);
      if (label == 1.0) {
        outcome(id, ts + 500, 1.0);
      }
      labels[i] = label;
      base[i] = score;
    }
    idle();
    Map<String, Compensation> byId = new HashMap<>();
    compensations.readValuesToList().stream()
        .map(this::read)
        .forEach(c -> byId.put(c.requestId(), c));
    assertThat(byId).hasSize(n);
    for (int i = 0; i < n; i++) {
      Compensation c = byId.get("c" + i);
      assertThat(c.mode()).isEqualTo("blend");
      assertThat(c.trust()).isBetween(0.0, 1.0);
      assertThat(c.fallback()).isEqualTo(c.trust() < 1.0);
      fallbacks += c.fallback() ? 1 : 0;
      served[i] = c.compensatedScore();
    }
    int from = n / 2;
    double[] y = java.util.Arrays.copyOfRange(labels, from, n);
    double baseLoss =
        io.hindsight.evaluation.BinaryMetrics.logloss(
            y, java.util.Arrays.copyOfRange(base, from, n));
    double servedLoss =
        io.hindsight.evaluation.BinaryMetrics.logloss(
            y, java.util.Arrays.copyOfRange(served, from, n));
    System.out.printf(
        "calibrated stream, second half: base logloss %.5f, blend %.5f (%+.2f%%), %d fallbacks%n",
        baseLoss, servedLoss, 100 * (servedLoss / baseLoss - 1), fallbacks);
    assertThat(servedLoss).isLessThanOrEqualTo(1.005 * baseLoss);
  }

  private static String header(TestRecord<byte[], byte[]> record, String name) {
    return new String(record.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
  }

  private Compensation read(String json) {
    try {
      return io.hindsight.events.EventCodec.JSON.readValue(json, Compensation.class);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static String json(Object event) {
    return new String(io.hindsight.events.EventCodec.encode(event), StandardCharsets.UTF_8);
  }
}
