package io.hindsight.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.hindsight.config.HindsightConfig;
import io.hindsight.datasets.MovieLensAdapter;
import io.hindsight.testing.Directories;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The MovieLens replay (a frozen logistic MF model trained before 2016, later ratings served): with
 * λ, K, L, τ and γ chosen on the first half of the test period only, compensation beats the base
 * model in AUC and logloss over the second half.
 */
class MovieLensEvaluationIT {
  private static final Path RATINGS =
      Path.of("..", "shared", "data", "movielens-latest-small", "ratings.csv");
  private static final int SLOTS = 10;
  private Path dir;

  @AfterEach
  void cleanUp() {
    Directories.delete(dir);
  }

  @Test
  void shouldBeatTheBaseModelOverTheSecondHalfWithSettingsChosenOnTheFirst() throws Exception {
    assumeTrue(Files.exists(RATINGS), "MovieLens ratings in ../shared/data");
    dir = Files.createTempDirectory("hindsight-movielens");
    Path log = dir.resolve("movielens.jsonl.gz");
    MovieLensAdapter.builder(RATINGS)
        .hiddenVector(MovieLensAdapter.HiddenVector.CONCATENATION)
        .build()
        .writeLog(log);

    Map<String, Map<String, String>> candidates = new LinkedHashMap<>();
    candidates.put("paper γ=1 λ=0.5 K=64 L=12 τ=0.1", settings("1", "0.5", "64", "12", "0.1"));
    candidates.put("γ=1 λ=0.2 K=64 L=6 τ=0.1", settings("1", "0.2", "64", "6", "0.1"));
    candidates.put("γ=0 λ=0.2 K=64 L=10 τ=0.1", settings("0", "0.2", "64", "10", "0.1"));
    candidates.put("γ=0 λ=0.5 K=32 L=10 τ=0.5", settings("0", "0.5", "32", "10", "0.5"));

    String chosen = null;
    JsonNode chosenSlots = null;
    double bestFirstHalf = Double.MAX_VALUE;
    StringBuilder table = new StringBuilder();
    for (Map.Entry<String, Map<String, String>> candidate : candidates.entrySet()) {
      HindsightConfig config = HindsightConfig.load(null, Map.of(), candidate.getValue());
      TopologyEvaluation.Result result =
          new TopologyEvaluation(config, 500, line -> {}).run(log, null);
      JsonNode slots =
          new EvaluationReport(result, SLOTS, Map.of())
              .metrics()
              .path("compensation")
              .path("slots");
      double firstHalf = weighted(slots, 0, SLOTS / 2, "logloss_comp");
      table.append(
          String.format(
              "%-34s first half logloss %.4f (base %.4f) | second half AUC %.4f -> %.4f, logloss %.4f -> %.4f%n",
              candidate.getKey(),
              firstHalf,
              weighted(slots, 0, SLOTS / 2, "logloss_base"),
              weighted(slots, SLOTS / 2, SLOTS, "auc_base"),
              weighted(slots, SLOTS / 2, SLOTS, "auc_comp"),
              weighted(slots, SLOTS / 2, SLOTS, "logloss_base"),
              weighted(slots, SLOTS / 2, SLOTS, "logloss_comp")));
      if (firstHalf < bestFirstHalf) {
        bestFirstHalf = firstHalf;
        chosen = candidate.getKey();
        chosenSlots = slots;
      }
    }
    System.out.print(table);
    System.out.println("chosen on the first half: " + chosen);
    assertThat(weighted(chosenSlots, SLOTS / 2, SLOTS, "auc_comp"))
        .as("second-half AUC of %s", chosen)
        .isGreaterThan(weighted(chosenSlots, SLOTS / 2, SLOTS, "auc_base"));
    assertThat(weighted(chosenSlots, SLOTS / 2, SLOTS, "logloss_comp"))
        .as("second-half logloss of %s", chosen)
        .isLessThan(weighted(chosenSlots, SLOTS / 2, SLOTS, "logloss_base"));
  }

  private static Map<String, String> settings(
      String gamma, String lambda, String arrays, String bits, String tau) {
    return Map.of(
        HindsightConfig.COMPENSATION_GAMMA, gamma,
        HindsightConfig.COMPENSATION_LAMBDA, lambda,
        HindsightConfig.COMPENSATION_MEMORY_ARRAYS, arrays,
        HindsightConfig.COMPENSATION_MEMORY_BITS, bits,
        HindsightConfig.COMPENSATION_TAU, tau);
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
