package io.hindsight.evaluation;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.hindsight.config.HindsightConfig;
import io.hindsight.datasets.SessionSimulator;
import io.hindsight.testing.Directories;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Simulated sessions (real Snips utterances, real codespell misspellings as recognition errors):
 * rules learned only from earlier turns reach the Alexa paper's production figures, win/loss ≥ 11.8
 * and a defect reduction ≥ 30 %.
 */
class SessionsEvaluationIT {
  private static final Path DATA = Path.of("..", "shared", "data");
  private Path dir;

  @AfterEach
  void cleanUp() {
    Directories.delete(dir);
  }

  @Test
  void shouldReachTheAlexaPapersWinLossAndDefectReduction() throws Exception {
    dir = Files.createTempDirectory("hindsight-sessions");
    Path log = dir.resolve("sessions.jsonl.gz");
    Path truth = dir.resolve("truth.tsv");
    SessionSimulator.Builder simulator = SessionSimulator.builder().users(2_000).days(14).seed(42);
    Path utterances = DATA.resolve("utterances/snips-2017-utterances.tsv");
    Path misspellings = DATA.resolve("misspellings/codespell-dictionary.txt");
    if (Files.exists(utterances) && Files.exists(misspellings)) {
      simulator.utterances(utterances).misspellings(misspellings);
    }
    simulator.build().writeLog(log, truth);

    HindsightConfig config = HindsightConfig.load(null, Map.of(), Map.of());
    TopologyEvaluation.Result result =
        new TopologyEvaluation(config, 500, line -> {})
            .run(log, io.hindsight.cli.EvaluateCommand.readTruth(truth));
    JsonNode rewrites = new EvaluationReport(result, 10, Map.of()).metrics().path("rewrites");
    System.out.println(
        "simulated sessions: "
            + ((com.fasterxml.jackson.databind.node.ObjectNode) rewrites.deepCopy())
                .without(java.util.List.of("slots", "live_rules")));
    double before = rewrites.path("defect_rate_before").asDouble();
    double after = rewrites.path("defect_rate_after").asDouble();
    assertThat(rewrites.path("wins").asLong()).isPositive();
    assertThat(
            rewrites.path("win_loss_ratio").isNull()
                || rewrites.path("win_loss_ratio").asDouble() >= 11.8)
        .as("win/loss %s", rewrites.path("win_loss_ratio"))
        .isTrue();
    assertThat(1 - after / before).as("defect reduction").isGreaterThanOrEqualTo(0.30);
    assertThat(rewrites.path("precision").asDouble()).isGreaterThan(0.8);
  }
}
