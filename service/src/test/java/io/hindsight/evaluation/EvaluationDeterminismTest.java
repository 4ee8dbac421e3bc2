package io.hindsight.evaluation;

import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.Hindsight;
import io.hindsight.testing.Directories;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code evaluate} twice on the same input and configuration: identical metrics.json. */
class EvaluationDeterminismTest {
  private Path dir;

  @AfterEach
  void cleanUp() {
    Directories.delete(dir);
  }

  @Test
  void shouldWriteByteIdenticalMetricsOnEveryRun() throws Exception {
    dir = Files.createTempDirectory("hindsight-determinism");
    Path log = dir.resolve("events.jsonl");
    SyntheticLog.write(log, 1_500);
    for (String run : new String[] {"a", "b"}) {
      int exit =
          Hindsight.commandLine()
              .execute(
                  "evaluate",
                  "--verbose",
                  "--input",
                  log.toString(),
                  "--report",
                  dir.resolve(run).toString(),
                  "--slots",
                  "5",
                  "--set",
                  "compensation.attribution.window.ms=30000",
                  "--set",
                  "rewrite.min.source.users=2",
                  "--set",
                  "rewrite.min.transition.users=2");
      assertThat(exit).isZero();
    }
    byte[] first = Files.readAllBytes(dir.resolve("a/metrics.json"));
    assertThat(Files.readAllBytes(dir.resolve("b/metrics.json"))).isEqualTo(first);
    String metrics = new String(first, java.nio.charset.StandardCharsets.UTF_8);
    assertThat(metrics).contains("\"auc_comp\"").contains("\"rewrites\"").contains("\"slots\"");
    assertThat(Files.readString(dir.resolve("a/compensations.csv")))
        .startsWith(
            "requestId,timestamp,userId,label,score,compensated,oracle,trust,base,reloop2,"
                + "field:userId,field:itemId,entity:userId@60000,entity:userId@600000,"
                + "entity:userId@3600000,entity:userId@none,fields,blend-unguarded,blend,"
                + "online-finetune\n");
    assertThat(Files.readAllLines(dir.resolve("a/rules.jsonl"))).isNotEmpty();
  }
}
