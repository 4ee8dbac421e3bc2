package io.hindsight.loadtests.harness;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CI-sized fault run: the broker and two instances at exactly_once_v2 under steady traffic, an
 * instance SIGKILLed and restarted, the broker SIGKILLed and restarted, an instance paused past
 * its session timeout; then every committed output verified. Fails on any loss or duplicate.
 *
 * <p>A run the harness calls void (the restarted broker dropped the markers of a committed
 * transaction, KAFKA-20734, and records were lost with them) is repeated, up to {@value
 * #ATTEMPTS} runs in all; a pass needs one run that is not void.
 */
class FaultRunTest {
  private static final int ATTEMPTS = 3;

  @Test
  void shouldLoseNothingAndDuplicateNothingUnderKillsBrokerRestartAndPause(@TempDir Path results)
      throws Exception {
    JsonNode r = null;
    String context = "";
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      ByteArrayOutputStream console = new ByteArrayOutputStream();
      Path file =
          LoadTest.run(
              new String[] {
                "--scenario", "faults",
                "--faults", "kill=1,broker=1,pause=1",
                "--fault-seed", "1",
                "--duration", "20",
                "--fault-gap-seconds", "3:6",
                "--quiet-seconds", "10",
                "--results", results.resolve("attempt-" + attempt).toString(),
                "--readme", "none"
              },
              new PrintStream(console, true, StandardCharsets.UTF_8));
      r = new ObjectMapper().readTree(file.toFile());
      context = console.toString(StandardCharsets.UTF_8);
      if (!r.at("/verdict").asText().equals("void")) {
        break;
      }
      System.out.printf(
          "FaultRunTest: attempt %d void, Kafka dropped committed markers: %s%n",
          attempt, r.at("/failures"));
    }
    assertThat(r.at("/failures")).as(context).isEmpty();
    assertThat(r.at("/verdict").asText()).isEqualTo("passed");
    assertThat(r.at("/faults").size()).isEqualTo(3);
    for (JsonNode fault : r.at("/faults")) {
      assertThat(fault.at("/recovered_ms").asLong()).as(fault.toString()).isPositive();
    }
    JsonNode v = r.at("/verification");
    assertThat(v.at("/compensations/good_predictions").asLong()).isPositive();
    assertThat(v.at("/compensations/lost").asLong()).isZero();
    assertThat(v.at("/compensations/duplicated").asLong()).isZero();
    assertThat(v.at("/labelled_samples/windows_closed").asLong()).isPositive();
    assertThat(v.at("/labelled_samples/missing").asLong()).isZero();
    assertThat(v.at("/labelled_samples/duplicated").asLong()).isZero();
    assertThat(v.at("/dlq/good_dead_lettered").asLong()).isZero();
    assertThat(v.at("/dlq/bad_missing").asLong()).isZero();
    assertThat(v.at("/outcomes/unaccounted").asLong()).isZero();
    assertThat(v.at("/outcomes/on_their_sample").asLong()).isPositive();
    assertThat(r.at("/memory_replicas/replicas_identical").asBoolean()).isTrue();
    assertThat(r.at("/memory_replicas/scratch_samples").asLong()).isPositive();
    assertThat(r.at("/rules/differing").size()).isZero();
  }
}
