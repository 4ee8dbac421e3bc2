package io.hindsight.datasets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hindsight.evaluation.BinaryMetrics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MovieLensAdapterTest {

  private static final Path MOVIELENS = Path.of("../shared/data/movielens-latest-small");

  @TempDir Path dir;

  @Test
  void shouldServeTheRealTestPeriodWithAUsefulButImperfectBaseModel() throws IOException {
    Path ratings = MOVIELENS.resolve("ratings.csv");
    assumeTrue(Files.isReadable(ratings), "MovieLens data not present at " + ratings);
    Path out = dir.resolve("movielens.jsonl.gz");

    MovieLensAdapter.Summary summary =
        MovieLensAdapter.builder(ratings)
            .movies(MOVIELENS.resolve("movies.csv"))
            .build()
            .writeLog(out);

    assertThat(summary.testRatings()).isGreaterThan(10_000);
    assertThat(summary.trainRatings() + summary.testRatings()).isEqualTo(100_836);
    assertThat(summary.test().auc()).isBetween(0.6, 0.85);
    List<ObjectNode> events = readEvents(out);
    assertThat(events).hasSize(2 * (int) summary.testRatings());
    assertEveryPredictionHasExactlyOneLaterOutcome(events);
    assertThat(events).extracting(e -> e.path("timestamp").asLong()).isSorted();
    ObjectNode first = events.get(0);
    assertThat(first.path("modelId").asText()).isEqualTo(MovieLensAdapter.MODEL_ID);
    assertThat(first.path("embedding").size()).isEqualTo(MovieLensAdapter.DEFAULT_DIM);
    assertThat(first.path("features").path("genres").isTextual()).isTrue();
    assertThat(aucOfLog(events)).isEqualTo(summary.test().auc());
  }

  @Test
  void shouldSplitByDateAndGiveColdStartUsersZeroHiddenVectors() throws IOException {
    Path ratings = dir.resolve("ratings.csv");
    List<String> lines = new ArrayList<>();
    lines.add("userId,movieId,rating,timestamp");
    // Training (2000): user 1 likes movie 10, dislikes 20; user 2 the reverse. Written out of
    // order.
    long day2000 = LocalDate.of(2000, 1, 1).toEpochDay() * 86_400;
    for (int r = 0; r < 50; r++) {
      lines.add("1,10,5.0," + (day2000 + 2 * r));
      lines.add("1,20,1.0," + (day2000 + 2 * r + 1));
      lines.add("2,20,4.5," + (day2000 + 2 * r));
      lines.add("2,10,2.0," + (day2000 + 2 * r + 1));
    }
    long day2020 = LocalDate.of(2020, 1, 1).toEpochDay() * 86_400;
    lines.add("3,10,4.0," + (day2020 + 5)); // unseen user
    lines.add("1,20,1.0," + day2020);
    lines.add("1,10,4.0," + day2020); // same second: both outcomes follow both predictions
    Files.write(ratings, lines);
    Path out = dir.resolve("log.jsonl");

    MovieLensAdapter.Summary summary =
        MovieLensAdapter.builder(ratings)
            .trainUntil(LocalDate.of(2010, 1, 1))
            .dim(4)
            .epochs(30)
            .build()
            .writeLog(out);

    assertThat(summary.trainRatings()).isEqualTo(200);
    assertThat(summary.testRatings()).isEqualTo(3);
    assertThat(summary.coldUserPredictions()).isEqualTo(1);
    assertThat(summary.test().auc()).isEqualTo(1.0);
    List<ObjectNode> events = readEvents(out);
    assertThat(events)
        .extracting(e -> e.path("type").asText() + " " + e.path("requestId").asText())
        .containsExactly(
            "prediction ml-0",
            "prediction ml-1",
            "outcome ml-0",
            "outcome ml-1",
            "prediction ml-2",
            "outcome ml-2");
    assertThat(events.get(0).path("itemId").asText()).isEqualTo("20"); // file order breaks ties
    assertThat(events.get(2).path("timestamp").asLong())
        .isEqualTo(day2020 * 1000 + MovieLensAdapter.OUTCOME_DELAY_MILLIS);
    JsonNode coldEmbedding = events.get(4).path("embedding");
    assertThat(coldEmbedding.size()).isEqualTo(4);
    coldEmbedding.forEach(component -> assertThat(component.asDouble()).isZero());
  }

  @Test
  void shouldWriteTheSameLogForTheSameSeedAndConcatenatedFactorsOnRequest() throws IOException {
    Path ratings = dir.resolve("ratings.csv");
    List<String> lines = new ArrayList<>();
    lines.add("userId,movieId,rating,timestamp");
    for (int r = 0; r < 300; r++) {
      // Hourly ratings from the epoch: days 1–9 train, the rest are served.
      lines.add((r % 7) + "," + (r % 11) + "," + (r % 5 + 1) + "," + (r * 3600L));
    }
    Files.write(ratings, lines);
    LocalDate split = LocalDate.of(1970, 1, 10);
    Path a = dir.resolve("a.jsonl");
    Path b = dir.resolve("b.jsonl");
    Path c = dir.resolve("c.jsonl");

    MovieLensAdapter.Summary summary =
        MovieLensAdapter.builder(ratings).trainUntil(split).seed(3).build().writeLog(a);
    MovieLensAdapter.builder(ratings).trainUntil(split).seed(3).build().writeLog(b);
    MovieLensAdapter.builder(ratings)
        .trainUntil(split)
        .seed(3)
        .dim(3)
        .hiddenVector(MovieLensAdapter.HiddenVector.CONCATENATION)
        .build()
        .writeLog(c);

    assertThat(summary.trainRatings()).isEqualTo(216);
    assertThat(Files.readAllBytes(a)).isEqualTo(Files.readAllBytes(b));
    assertThat(readEvents(c).get(0).path("embedding").size()).isEqualTo(6);
  }

  @Test
  void shouldRejectOutOfRangeSettingsNamingThem() {
    assertThatThrownBy(() -> MovieLensAdapter.builder(dir.resolve("r.csv")).dim(0).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("dim >= 1")
        .hasMessageContaining("got 0");
  }

  private static void assertEveryPredictionHasExactlyOneLaterOutcome(List<ObjectNode> events) {
    Map<String, Long> predictionTime = new HashMap<>();
    Map<String, Integer> outcomes = new HashMap<>();
    for (ObjectNode event : events) {
      String id = event.path("requestId").asText();
      if (event.path("type").asText().equals("prediction")) {
        assertThat(predictionTime.put(id, event.path("timestamp").asLong())).isNull();
      } else {
        assertThat(predictionTime).containsKey(id);
        assertThat(event.path("timestamp").asLong()).isGreaterThan(predictionTime.get(id));
        outcomes.merge(id, 1, Integer::sum);
      }
    }
    assertThat(outcomes.keySet()).isEqualTo(predictionTime.keySet());
    assertThat(outcomes.values()).containsOnly(1);
  }

  private static double aucOfLog(List<ObjectNode> events) {
    Map<String, Double> scores = new HashMap<>();
    List<double[]> pairs = new ArrayList<>();
    for (ObjectNode event : events) {
      if (event.path("type").asText().equals("prediction")) {
        scores.put(event.path("requestId").asText(), event.path("score").asDouble());
      } else {
        pairs.add(
            new double[] {
              event.path("label").asDouble(), scores.get(event.path("requestId").asText())
            });
      }
    }
    return BinaryMetrics.auc(
        pairs.stream().mapToDouble(p -> p[0]).toArray(),
        pairs.stream().mapToDouble(p -> p[1]).toArray());
  }

  private static List<ObjectNode> readEvents(Path log) throws IOException {
    try (EventLogReader reader = EventLogReader.open(log)) {
      return reader.events().collect(Collectors.toList());
    }
  }
}
