package io.hindsight.loadtests.harness;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The harness end to end, briefly: a few seconds of every kind of traffic (predictions, outcomes,
 * interactions, bad records, probes) against the in-process broker, through the pass-through and
 * through Hindsight, each in a child JVM. Checks that the result file carries every figure the
 * README's table shows, and that the bad records were accounted for and no good one was lost.
 */
class LoadTestRunTest {

  @Test
  void shouldWriteResultFileWithEveryFigure(@TempDir Path results) throws Exception {
    Path readme = results.resolve("README.md");
    Files.writeString(
        readme, "# t\n" + Report.TABLE_START + "\n| header |\n" + Report.TABLE_END + "\n");
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    Path file =
        LoadTest.run(
            new String[] {
              "--scenario",
              "src/test/resources/smoke.properties",
              "--results",
              results.toString(),
              "--readme",
              readme.toString(),
              "--drain-seconds",
              "20",
              "--prime-seconds",
              "2",
              "--start-together"
            },
            new PrintStream(console, true, StandardCharsets.UTF_8));

    JsonNode r = new ObjectMapper().readTree(file.toFile());
    assertThat(file.getFileName().toString()).startsWith("smoke-exactly_once_v2-");
    for (String field :
        List.of("machine", "load_average", "guarantee", "headline", "ratio_to_pass_through")) {
      assertThat(r.has(field)).as(field).isTrue();
    }
    assertThat(r.at("/machine/cores").asInt()).isPositive();
    for (String phase : List.of("/pass_through", "/hindsight")) {
      assertThat(r.at(phase + "/step/offered_per_second").asDouble()).as(phase).isPositive();
      assertThat(r.at(phase + "/step/latency/p99_ms").asDouble()).as(phase).isPositive();
      assertThat(r.at(phase + "/counts/good_predictions_lost").asLong()).as(phase).isZero();
      assertThat(r.at(phase + "/counts/bad_records_sent").asLong()).as(phase).isPositive();
      assertThat(r.at(phase + "/dlq/bad_records_missing").asLong()).as(phase).isZero();
      assertThat(r.at(phase + "/memory/heap_used_max_bytes").asLong()).as(phase).isPositive();
    }
    assertThat(r.at("/pass_through/dlq/good_records_dead_lettered").asLong()).isZero();
    assertThat(r.at("/hindsight/memory/mapped_buffer_bytes").asLong()).isPositive();
    assertThat(r.at("/hindsight/freshness/compensation/probes_answered").asLong()).isPositive();
    assertThat(r.at("/hindsight/freshness/compensation/p99_ms").asDouble()).isPositive();
    assertThat(r.has("hindsight")).isTrue();
    assertThat(r.at("/hindsight/freshness/rules").has("p99_ms")).isTrue();
    assertThat(Files.readString(readme))
        .contains("| smoke `--prime-seconds 2 --start-together` | exactly_once_v2 |");
  }
}
