package io.hindsight.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hindsight.config.HindsightConfig;
import io.hindsight.datasets.EventLogWriter;
import io.hindsight.evaluation.BinaryMetrics;
import io.hindsight.evaluation.TopologyEvaluation;
import io.hindsight.events.EventCodec;
import io.hindsight.simulation.TasteShiftWorld;
import io.hindsight.testing.Directories;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The demo's compensation, replayed deterministically: the traffic {@code hindsight demo} generates
 * in its README command ({@link DemoCommand#README_DURATION_SECONDS} s at the default rate, the
 * same {@link TasteShiftWorld} on the same event-time line) through the compensation topology with
 * the default configuration, cut into the slots the demo's summary reports. In every slot after the
 * taste shift the served compensation beats the base model in AUC and logloss, for several seeds of
 * the world and in both write modes.
 */
class DemoCompensationIT {
  private Path dir;

  @AfterEach
  void cleanUp() {
    Directories.delete(dir);
  }

  /** Seeds of the world: {@code -Dhindsight.demo.seeds=1,2} narrows or widens the default two. */
  static Stream<Arguments> worlds() {
    return Stream.of(System.getProperty("hindsight.demo.seeds", "42,7").split(","))
        .flatMap(
            seed ->
                Stream.of("on-close", "eager")
                    .map(mode -> Arguments.of(Long.parseLong(seed.trim()), mode)));
  }

  @ParameterizedTest(name = "seed {0}, write mode {1}")
  @MethodSource("worlds")
  void shouldBeatTheBaseInEverySlotAfterTheShift(long seed, String writeMode) throws Exception {
    dir = Files.createTempDirectory("hindsight-demo-replay");
    Path log = dir.resolve("demo.jsonl.gz");
    int seconds = DemoCommand.README_DURATION_SECONDS;
    int predictions = seconds * DemoCommand.DEFAULT_RATE;
    DemoTimeline timeline = new DemoTimeline(1_600_000_000_000L, seconds);
    try (EventLogWriter out = EventLogWriter.open(log)) {
      TasteShiftWorld world = CompensationDemo.world(seed, timeline);
      for (int i = 0; i < predictions; i++) {
        long wallMillis = (long) i * 1000 / DemoCommand.DEFAULT_RATE;
        TasteShiftWorld.Event event = world.nextPrediction(timeline.eventTime(wallMillis));
        ObjectNode prediction = (ObjectNode) EventCodec.JSON.valueToTree(event.prediction());
        prediction.put("type", "prediction");
        out.write(prediction);
        for (var o = world.dueOutcome(); o != null; o = world.dueOutcome()) {
          ObjectNode outcome = (ObjectNode) EventCodec.JSON.valueToTree(o);
          outcome.put("type", "outcome");
          out.write(outcome);
        }
      }
    }
    HindsightConfig config =
        HindsightConfig.load(
            null, Map.of(), Map.of(HindsightConfig.COMPENSATION_WRITE_MODE, writeMode));
    TopologyEvaluation.Result result = new TopologyEvaluation(config, 1, line -> {}).run(log, null);

    List<List<TopologyEvaluation.Row>> slots = new ArrayList<>();
    for (int s = 0; s < timeline.slots(); s++) {
      slots.add(new ArrayList<>());
    }
    result.rows().forEach(row -> slots.get(timeline.slotOf(row.timestamp())).add(row));
    System.out.printf(
        "seed %d, %s: slot, n, AUC base -> comp, logloss base -> comp, trust%n", seed, writeMode);
    int better = 0;
    int after = 0;
    for (int s = 0; s < timeline.slots(); s++) {
      List<TopologyEvaluation.Row> slot = slots.get(s);
      double[] y = slot.stream().mapToDouble(TopologyEvaluation.Row::label).toArray();
      double[] base = slot.stream().mapToDouble(TopologyEvaluation.Row::score).toArray();
      double[] comp = slot.stream().mapToDouble(TopologyEvaluation.Row::compensated).toArray();
      double trust = slot.stream().mapToDouble(TopologyEvaluation.Row::trust).average().orElse(1);
      double aucBase = BinaryMetrics.auc(y, base);
      double aucComp = BinaryMetrics.auc(y, comp);
      double llBase = BinaryMetrics.logloss(y, base);
      double llComp = BinaryMetrics.logloss(y, comp);
      boolean afterShift = timeline.slotStartsAfterShift(s);
      System.out.printf(
          "  %2d%s %6d  %.4f -> %.4f  %.4f -> %.4f  %.2f%n",
          s + 1, afterShift ? "*" : " ", slot.size(), aucBase, aucComp, llBase, llComp, trust);
      if (afterShift) {
        after++;
        if (aucComp > aucBase && llComp < llBase) {
          better++;
        }
      }
    }
    assertThat(after).as("slots after the shift").isGreaterThan(0);
    assertThat(better)
        .as("slots after the shift where compensation beat the base")
        .isEqualTo(after);
  }
}
