package io.hindsight.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hindsight.config.HindsightConfig;
import io.hindsight.datasets.EventLogWriter;
import io.hindsight.evaluation.BinaryMetrics;
import io.hindsight.evaluation.ChronologicalSlotter;
import io.hindsight.evaluation.TopologyEvaluation;
import io.hindsight.events.EventCodec;
import io.hindsight.simulation.DriftingWorld;
import io.hindsight.testing.Directories;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The demo's compensation, replayed deterministically: the traffic {@code hindsight demo --duration
 * 60} generates at its default rate (the same {@link DriftingWorld}, 120,000 predictions, 20
 * minutes of event time) through the compensation topology with the demo's configuration, cut into
 * the twelve slots its live summary reports. After the memory warms up (the second half), the
 * served compensation beats the base model in AUC and logloss in every slot, for several seeds of
 * the world.
 */
class DemoCompensationIT {
  private static final int PREDICTIONS = 120_000;
  private static final int SLOTS = 12;
  private Path dir;

  @AfterEach
  void cleanUp() {
    Directories.delete(dir);
  }

  /** Seeds of the world: {@code -Dhindsight.demo.seeds=1,2} narrows or widens the default three. */
  static java.util.stream.LongStream seeds() {
    return java.util.Arrays.stream(
            System.getProperty("hindsight.demo.seeds", "42,7,2024").split(","))
        .mapToLong(seed -> Long.parseLong(seed.trim()));
  }

  @ParameterizedTest
  @MethodSource("seeds")
  void shouldBeatTheBaseInEveryLaterSlotOfTheDemo(long seed) throws Exception {
    dir = Files.createTempDirectory("hindsight-demo-replay");
    Path log = dir.resolve("demo.jsonl.gz");
    try (EventLogWriter out = EventLogWriter.open(log)) {
      DriftingWorld world = CompensationDemo.world(seed, 1_600_000_000_000L);
      for (int i = 0; i < PREDICTIONS; i++) {
        DriftingWorld.Event event = world.nextPrediction();
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
    Map<String, String> values = new HashMap<>(DemoCommand.DEMO_DEFAULTS);
    values.remove(HindsightConfig.DATA_DIR);
    values.remove(HindsightConfig.STATE_DIR);
    // The replay feeds the topology in event-time order itself; task idling is for live traffic.
    values.remove(DemoCommand.DEMO_TASK_IDLE);
    HindsightConfig config = HindsightConfig.load(null, Map.of(), values);
    TopologyEvaluation.Result result = new TopologyEvaluation(config, 1, line -> {}).run(log, null);

    List<List<TopologyEvaluation.Row>> slots = ChronologicalSlotter.split(result.rows(), SLOTS);
    System.out.printf("seed %d: slot, AUC base -> comp, logloss base -> comp, trust%n", seed);
    int better = 0;
    for (int s = 0; s < SLOTS; s++) {
      List<TopologyEvaluation.Row> slot = slots.get(s);
      double[] y = slot.stream().mapToDouble(TopologyEvaluation.Row::label).toArray();
      double[] base = slot.stream().mapToDouble(TopologyEvaluation.Row::score).toArray();
      double[] comp = slot.stream().mapToDouble(TopologyEvaluation.Row::compensated).toArray();
      double trust = slot.stream().mapToDouble(TopologyEvaluation.Row::trust).average().orElse(1);
      double aucBase = BinaryMetrics.auc(y, base);
      double aucComp = BinaryMetrics.auc(y, comp);
      double llBase = BinaryMetrics.logloss(y, base);
      double llComp = BinaryMetrics.logloss(y, comp);
      StringBuilder variants = new StringBuilder();
      for (int v = 1; v < result.variants().size(); v++) {
        int index = v;
        double[] scores = slot.stream().mapToDouble(r -> r.variants()[index]).toArray();
        variants.append(
            String.format(" %s %.4f", result.variants().get(v), BinaryMetrics.logloss(y, scores)));
      }
      System.out.printf(
          "  %2d  %.4f -> %.4f  %.4f -> %.4f  %.2f |%s%n",
          s + 1, aucBase, aucComp, llBase, llComp, trust, variants);
      if (s >= SLOTS / 2 && aucComp > aucBase && llComp < llBase) {
        better++;
      }
    }
    assertThat(better).as("later slots where compensation beat the base").isEqualTo(SLOTS / 2);
  }
}
