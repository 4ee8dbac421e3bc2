package io.hindsight.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.hindsight.config.HindsightConfig;
import io.hindsight.datasets.MovieLensAdapter;
import io.hindsight.testing.Directories;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The MovieLens replay (a frozen logistic MF model trained before 2016, later ratings served):
 * every compensator (the paper's formula, each field memory alone, all fields, the learned blend)
 * gets the candidate settings that did best for it on the first half of the test period; over the
 * second half, the blend beats the base model and every other compensator in AUC and logloss.
 */
class MovieLensEvaluationIT {
  private static final Path RATINGS =
      Path.of("..", "shared", "data", "movielens-latest-small", "ratings.csv");
  private static final int SLOTS = 10;
  private static final List<String> COMPETITORS =
      List.of("reloop2", "field:userId", "field:itemId", "fields");
  private Path dir;

  @AfterEach
  void cleanUp() {
    Directories.delete(dir);
  }

  /** The log {@code hindsight dataset movielens} writes with its defaults, in {@link #dir}. */
  private Path movieLensLog() throws java.io.IOException {
    assumeTrue(Files.exists(RATINGS), "MovieLens ratings in ../shared/data");
    dir = Files.createTempDirectory("hindsight-movielens");
    Path log = dir.resolve("movielens.jsonl.gz");
    MovieLensAdapter.builder(RATINGS)
        .hiddenVector(MovieLensAdapter.HiddenVector.CONCATENATION)
        .build()
        .writeLog(log);
    return log;
  }

  /** One candidate's slots per variant. */
  private record Run(String name, Map<String, JsonNode> slots) {}

  @Test
  void shouldBeatTheBaseAndEverySingleCompensatorWithSettingsChosenOnTheFirstHalf()
      throws Exception {
    Path log = movieLensLog();

    List<Run> runs = new ArrayList<>();
    for (Map.Entry<String, Map<String, String>> candidate : candidates().entrySet()) {
      HindsightConfig config = HindsightConfig.load(null, Map.of(), candidate.getValue());
      TopologyEvaluation.Result result =
          new TopologyEvaluation(config, 1, line -> {}).run(log, null);
      JsonNode variants =
          new EvaluationReport(result, SLOTS, Map.of())
              .metrics()
              .path("compensation")
              .path("variants");
      Map<String, JsonNode> slots = new LinkedHashMap<>();
      variants.fields().forEachRemaining(e -> slots.put(e.getKey(), e.getValue().path("slots")));
      runs.add(new Run(candidate.getKey(), slots));
      StringBuilder line = new StringBuilder(String.format("%-44s", candidate.getKey()));
      slots.forEach(
          (variant, s) ->
              line.append(
                  String.format(
                      " | %s %.4f/%.4f",
                      variant, first(s, "logloss_comp"), second(s, "auc_comp"))));
      System.out.println(line);
    }

    System.out.println(
        "Second half of the test period, each compensator with the candidate that had its lowest"
            + " first-half logloss:");
    System.out.println("| compensator | chosen on the first half | AUC | logloss |");
    System.out.println("|---|---|---|---|");
    JsonNode base = runs.get(0).slots().get("base");
    row("base", "(frozen model)", base);
    Map<String, JsonNode> chosen = new LinkedHashMap<>();
    for (String variant : concat(COMPETITORS, "blend")) {
      Run best = null;
      for (Run run : runs) {
        if (best == null
            || first(run.slots().get(variant), "logloss_comp")
                < first(best.slots().get(variant), "logloss_comp")) {
          best = run;
        }
      }
      chosen.put(variant, best.slots().get(variant));
      row(variant, best.name(), best.slots().get(variant));
    }

    JsonNode blend = chosen.get("blend");
    assertThat(second(blend, "auc_comp"))
        .as("blend AUC vs base")
        .isGreaterThan(second(base, "auc_comp"));
    assertThat(second(blend, "logloss_comp"))
        .as("blend logloss vs base")
        .isLessThan(second(base, "logloss_comp"));
    for (String variant : COMPETITORS) {
      assertThat(second(blend, "auc_comp"))
          .as("blend AUC vs %s", variant)
          .isGreaterThan(second(chosen.get(variant), "auc_comp"));
      assertThat(second(blend, "logloss_comp"))
          .as("blend logloss vs %s", variant)
          .isLessThan(second(chosen.get(variant), "logloss_comp"));
    }
  }

  @Test
  void shouldServeWithTheDefaultsAtLeastAsWellAsOnlineFineTuningAndAPerUserResidual()
      throws Exception {
    Path log = movieLensLog();
    TopologyEvaluation.Result result =
        new TopologyEvaluation(HindsightConfig.load(null, Map.of(), Map.of()), 1, line -> {})
            .run(log, null);
    List<TopologyEvaluation.Row> rows = new ArrayList<>(result.rows());
    rows.sort(java.util.Comparator.comparingLong(TopologyEvaluation.Row::timestamp));
    int blend = result.variants().indexOf("blend");
    int fineTune = result.variants().indexOf(TopologyEvaluation.ONLINE_FINETUNE);
    int perUser = result.variants().indexOf("field:userId");
    Map<String, List<TopologyEvaluation.Row>> parts = new LinkedHashMap<>();
    parts.put("whole log", rows);
    parts.put("second half", rows.subList(rows.size() / 2, rows.size()));
    for (Map.Entry<String, List<TopologyEvaluation.Row>> part : parts.entrySet()) {
      List<TopologyEvaluation.Row> r = part.getValue();
      double[] y = r.stream().mapToDouble(TopologyEvaluation.Row::label).toArray();
      double[][] scores = new double[3][];
      int[] variants = {blend, fineTune, perUser};
      for (int v = 0; v < 3; v++) {
        int index = variants[v];
        scores[v] = r.stream().mapToDouble(row -> row.variants()[index]).toArray();
      }
      System.out.printf(
          "MovieLens defaults, %s: blend %.4f/%.4f, online-finetune %.4f/%.4f, per-user residual"
              + " %.4f/%.4f (AUC/logloss)%n",
          part.getKey(),
          BinaryMetrics.auc(y, scores[0]),
          BinaryMetrics.logloss(y, scores[0]),
          BinaryMetrics.auc(y, scores[1]),
          BinaryMetrics.logloss(y, scores[1]),
          BinaryMetrics.auc(y, scores[2]),
          BinaryMetrics.logloss(y, scores[2]));
      for (int v = 1; v < 3; v++) {
        String against = result.variants().get(variants[v]);
        assertThat(BinaryMetrics.auc(y, scores[0]))
            .as("%s: blend AUC vs %s", part.getKey(), against)
            .isGreaterThanOrEqualTo(BinaryMetrics.auc(y, scores[v]));
        assertThat(BinaryMetrics.logloss(y, scores[0]))
            .as("%s: blend logloss vs %s", part.getKey(), against)
            .isLessThanOrEqualTo(BinaryMetrics.logloss(y, scores[v]));
      }
    }
  }

  /** The candidate settings; every compensator is computed in every run. */
  private static Map<String, Map<String, String>> candidates() {
    Map<String, Map<String, String>> candidates = new LinkedHashMap<>();
    candidates.put("λ=0.2 prior=10 α=0.02", settings("0.2", "10", "0.02"));
    candidates.put("λ=0.5 prior=10 α=0.02", settings("0.5", "10", "0.02"));
    candidates.put("λ=0.5 prior=30 α=0.05", settings("0.5", "30", "0.05"));
    candidates.put("λ=1.0 prior=30 α=0.05", settings("1.0", "30", "0.05"));
    return candidates;
  }

  private static Map<String, String> settings(String lambda, String prior, String alpha) {
    return Map.of(
        HindsightConfig.COMPENSATION_GAMMA, "0",
        HindsightConfig.COMPENSATION_MEMORY_ARRAYS, "64",
        HindsightConfig.COMPENSATION_MEMORY_BITS, "10",
        HindsightConfig.COMPENSATION_TAU, "0.1",
        HindsightConfig.COMPENSATION_MEMORY_STORE, "onheap",
        HindsightConfig.COMPENSATION_LAMBDA, lambda,
        HindsightConfig.COMPENSATION_FIELD_PRIOR_COUNT, prior,
        HindsightConfig.COMPENSATION_BLEND_LEARNING_RATE, alpha);
  }

  private static List<String> concat(List<String> list, String last) {
    List<String> all = new ArrayList<>(list);
    all.add(last);
    return all;
  }

  private static void row(String variant, String chosen, JsonNode slots) {
    System.out.printf(
        "| %s | %s | %.4f | %.4f |%n",
        variant, chosen, second(slots, "auc_comp"), second(slots, "logloss_comp"));
  }

  private static double first(JsonNode slots, String metric) {
    return weighted(slots, 0, SLOTS / 2, metric);
  }

  private static double second(JsonNode slots, String metric) {
    return weighted(slots, SLOTS / 2, SLOTS, metric);
  }

  /** A metric over slots [from, to), weighted by each slot's number of predictions. */
  static double weighted(JsonNode slots, int from, int to, String metric) {
    double sum = 0;
    double n = 0;
    for (int i = from; i < to; i++) {
      sum += slots.get(i).path(metric).asDouble() * slots.get(i).path("n").asDouble();
      n += slots.get(i).path("n").asDouble();
    }
    return sum / n;
  }
}
