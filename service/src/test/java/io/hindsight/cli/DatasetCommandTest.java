package io.hindsight.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hindsight.Hindsight;
import io.hindsight.datasets.EventLogReader;
import io.hindsight.datasets.LogLine;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class DatasetCommandTest {

  @TempDir Path dir;

  @Test
  void shouldWriteSimulatedSessionsAndTheirTruthPairs() throws IOException {
    Path out = dir.resolve("logs/sessions.jsonl.gz");
    Path truth = dir.resolve("logs/truth.tsv");
    StringWriter err = new StringWriter();

    int exit =
        hindsight(
            err,
            "dataset",
            "sessions",
            "--users",
            "40",
            "--days",
            "2",
            "--seed",
            "7",
            "--out",
            out.toString(),
            "--truth",
            truth.toString());

    assertThat(exit).as("exit status; stderr: %s", err).isZero();
    List<ObjectNode> events = events(out);
    assertThat(events).isNotEmpty().allMatch(e -> e.path("type").asText().equals("interaction"));
    assertThat(events).extracting(e -> e.path("timestamp").asLong()).isSorted();
    assertThat(Files.readAllLines(truth))
        .isNotEmpty()
        .allMatch(line -> line.split("\t").length == 2);
  }

  @Test
  void shouldSayWhenTheBuiltInSampleReplacesAMissingUtteranceFile() throws IOException {
    StringWriter err = new StringWriter();

    int exit =
        hindsight(
            err,
            "dataset",
            "sessions",
            "--utterances",
            dir.resolve("missing.tsv").toString(),
            "--users",
            "5",
            "--days",
            "1",
            "--out",
            dir.resolve("s.jsonl").toString(),
            "--truth",
            dir.resolve("t.tsv").toString());

    assertThat(exit).isZero();
    assertThat(err.toString()).contains("missing.tsv not found: using the built-in sample");
  }

  @Test
  void shouldTurnRatingsIntoPredictionsAndOutcomes() throws IOException {
    Path ratings = dir.resolve("ratings.csv");
    List<String> lines = new ArrayList<>();
    lines.add("userId,movieId,rating,timestamp");
    long train = LocalDate.of(2000, 1, 1).toEpochDay() * 86_400;
    long serve = LocalDate.of(2020, 1, 1).toEpochDay() * 86_400;
    for (int r = 0; r < 20; r++) {
      lines.add("1,10,5.0," + (train + r));
      lines.add("2,20,1.0," + (train + r));
    }
    lines.add("1,20,2.0," + serve);
    lines.add("2,10,4.0," + (serve + 60));
    Files.write(ratings, lines);
    Path out = dir.resolve("movielens.jsonl");
    StringWriter err = new StringWriter();

    int exit =
        hindsight(
            err,
            "dataset",
            "movielens",
            "--ratings",
            ratings.toString(),
            "--train-until",
            "2010-01-01",
            "--dim",
            "4",
            "--out",
            out.toString());

    assertThat(exit).as("exit status; stderr: %s", err).isZero();
    assertThat(events(out))
        .extracting(e -> e.path("type").asText())
        .containsExactly("prediction", "outcome", "prediction", "outcome");
  }

  @Test
  void shouldRejectAnUnreadableRatingsFileWithoutATrace() {
    StringWriter err = new StringWriter();

    int exit =
        hindsight(
            err,
            "dataset",
            "movielens",
            "--ratings",
            dir.resolve("absent.csv").toString(),
            "--out",
            dir.resolve("x.jsonl").toString());

    assertThat(exit).isEqualTo(1);
    assertThat(err.toString()).contains("cannot read").doesNotContain("Exception");
  }

  private static List<ObjectNode> events(Path log) throws IOException {
    List<ObjectNode> events = new ArrayList<>();
    try (EventLogReader reader = EventLogReader.open(log)) {
      for (LogLine line : reader) {
        events.add(line.eventOrThrow());
      }
    }
    return events;
  }

  private static int hindsight(StringWriter err, String... args) {
    CommandLine commandLine = Hindsight.commandLine();
    commandLine.setErr(new PrintWriter(err, true));
    return commandLine.execute(args);
  }
}
