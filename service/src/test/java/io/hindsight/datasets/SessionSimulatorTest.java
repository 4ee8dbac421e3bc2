package io.hindsight.datasets;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hindsight.markov.UtteranceNormalizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SessionSimulatorTest {

  private static final Path UTTERANCES =
      Path.of("../shared/data/utterances/snips-2017-utterances.tsv");
  private static final Path MISSPELLINGS =
      Path.of("../shared/data/misspellings/codespell-dictionary.txt");

  @TempDir Path dir;

  /** Real files when present, the built-in sample otherwise: both must satisfy every test. */
  private static SessionSimulator.Builder simulator() {
    return SessionSimulator.builder()
        .utterances(UTTERANCES)
        .misspellings(MISSPELLINGS)
        .users(60)
        .days(3)
        .catalogSize(120);
  }

  @Test
  void shouldProduceTheSameTurnsForTheSameSeed() throws IOException {
    List<SimulatedTurn> first = collect(simulator().seed(7).build().turns());
    List<SimulatedTurn> second = collect(simulator().seed(7).build().turns());
    List<SimulatedTurn> other = collect(simulator().seed(8).build().turns());

    assertThat(first).isNotEmpty().isEqualTo(second);
    assertThat(other).isNotEqualTo(first);
    assertThat(simulator().seed(7).build().truth()).isEqualTo(simulator().seed(7).build().truth());
  }

  @Test
  void shouldEmitTurnsInEventTimeOrderWithQuickRephrasesAndLongGapsBetweenSessions()
      throws IOException {
    List<SimulatedTurn> turns = collect(simulator().build().turns());

    assertThat(turns).extracting(SimulatedTurn::timestamp).isSorted();
    Map<String, SimulatedTurn> previousOfUser = new HashMap<>();
    for (SimulatedTurn turn : turns) {
      SimulatedTurn previous = previousOfUser.put(turn.userId(), turn);
      if (previous == null) {
        continue;
      }
      long gap = turn.timestamp() - previous.timestamp();
      if (!previous.sessionId().equals(turn.sessionId())) {
        assertThat(gap).isGreaterThanOrEqualTo(5 * 60_000L);
      } else if (previous.failing()) {
        assertThat(gap).isBetween(2_000L, 6_000L);
      } else {
        assertThat(gap).isBetween(8_000L, 40_000L);
      }
    }
  }

  @Test
  void shouldFollowEveryExercisedTruthPairWithItsTargetWhenUsersAlwaysRepeatCorrectly()
      throws IOException {
    SessionSimulator simulator =
        simulator().abandonProbability(0).otherWordingProbability(0).build();
    Path events = dir.resolve("sessions.jsonl.gz");
    Path truth = dir.resolve("truth.tsv");

    SessionSimulator.Summary summary = simulator.writeLog(events, truth);

    Map<String, String> pairs = readTruth(truth);
    assertThat(pairs).isNotEmpty().hasSize(summary.exercisedTruthPairs());
    assertThat(simulator.truth()).containsAllEntriesOf(pairs);
    List<ObjectNode> log;
    try (EventLogReader reader = EventLogReader.open(events)) {
      log = reader.events().collect(Collectors.toList());
    }
    assertThat(log).hasSize((int) summary.turns());
    assertThat(log).allSatisfy(event -> assertThat(event.has("signal")).isFalse());
    Set<String> followedPairs = new HashSet<>();
    for (int i = 0; i + 1 < log.size(); i++) {
      String source = UtteranceNormalizer.normalize(log.get(i).path("utterance").asText());
      if (pairs.containsKey(source)) {
        ObjectNode next = nextTurnOfSession(log, i);
        assertThat(next).as("turn after %s", source).isNotNull();
        assertThat(UtteranceNormalizer.normalize(next.path("utterance").asText()))
            .isEqualTo(pairs.get(source));
        followedPairs.add(source);
      }
    }
    assertThat(followedPairs).isEqualTo(pairs.keySet());
  }

  @Test
  void shouldMixInNoiseThatIsNotATruthPair() throws IOException {
    SessionSimulator simulator = simulator().build();
    List<SimulatedTurn> turns = collect(simulator.turns());

    Map<String, List<SimulatedTurn>> sessions = new HashMap<>();
    turns.forEach(t -> sessions.computeIfAbsent(t.sessionId(), s -> new ArrayList<>()).add(t));
    long abandoned = sessions.values().stream().filter(s -> s.get(s.size() - 1).failing()).count();
    long otherWording =
        sessions.values().stream()
            .filter(
                s ->
                    s.size() >= 2
                        && s.get(0).failing()
                        && !s.get(1).intended().equals(s.get(0).intended()))
            .count();
    long followUps =
        sessions.values().stream().filter(s -> s.size() >= 2 && !s.get(0).failing()).count();
    assertThat(abandoned).isPositive();
    assertThat(otherWording).isPositive();
    assertThat(followUps).isPositive();
    assertThat(turns.stream().filter(t -> !t.failing() && !t.misrecognized())).isNotEmpty();
    assertThat(turns).allSatisfy(t -> assertThat(t.failing()).isEqualTo(t.misrecognized()));
  }

  @Test
  void shouldLowerTheDefectRateWhenTheTruthIsAppliedAsRewrites() throws IOException {
    SessionSimulator simulator = simulator().build();
    Map<String, String> truth = simulator.truth();

    SessionSimulator.Summary without = simulator.summarize(simulator.turns());
    SessionSimulator.Summary with =
        simulator.summarize(simulator.turns(u -> Optional.ofNullable(truth.get(u))));

    assertThat(without.failingTurns()).isPositive();
    assertThat(with.defectRate()).isLessThan(without.defectRate());
    assertThat(with.failingTurns()).isZero();
    assertThat(with.rewrittenTurns()).isEqualTo(with.misrecognizedTurns()).isPositive();
    // The same people start the same sessions; only outcomes change, and a user who no longer
    // gives up may go on to a follow-up request.
    assertThat(with.sessions()).isEqualTo(without.sessions());
    assertThat(with.misrecognizedTurns()).isGreaterThanOrEqualTo(without.misrecognizedTurns());
  }

  @Test
  void shouldFailTurnsThatABadRuleRewritesAwayFromWhatTheUserWants() throws IOException {
    SessionSimulator simulator = simulator().misrecognizedFraction(0).build();
    List<SimulatedTurn> clean = collect(simulator.turns());
    assertThat(clean).noneMatch(SimulatedTurn::failing);
    String victim = clean.get(0).normalizedIntended();

    List<SimulatedTurn> harmed =
        collect(simulator.turns(u -> u.equals(victim) ? Optional.of("stop") : Optional.empty()));

    assertThat(harmed)
        .filteredOn(t -> t.normalizedUtterance().equals(victim))
        .isNotEmpty()
        .allSatisfy(
            t -> {
              assertThat(t.failing()).isTrue();
              assertThat(t.toEvent().path("rewrite").path("target").asText()).isEqualTo("stop");
              assertThat(t.toEvent().path("rewrite").path("source").asText()).isEqualTo(victim);
            });
  }

  @Test
  void shouldFallBackToTheBuiltInSampleWhenFilesAreAbsent() throws IOException {
    SessionSimulator simulator =
        SessionSimulator.builder()
            .utterances(dir.resolve("missing.tsv"))
            .misspellings(dir.resolve("missing.txt"))
            .users(20)
            .days(2)
            .misrecognizedFraction(0.5)
            .build();

    assertThat(simulator.usesBuiltInUtterances()).isTrue();
    assertThat(simulator.usesBuiltInMisspellings()).isTrue();
    assertThat(simulator.catalogSize()).isEqualTo(20);
    assertThat(simulator.truth()).isNotEmpty();
    assertThat(simulator.summarize(simulator.turns()).failingTurns()).isPositive();
  }

  @Test
  void shouldMisspellTheLongestMisspellableWordKeepingCaseAndPunctuation() {
    MisspellingDictionary dictionary = MisspellingDictionary.builtIn();

    assertThat(
            SessionSimulator.misspell("What is the weather forecast for tomorrow?", dictionary, 0))
        .isEqualTo("What is the weather forcast for tomorrow?");
    assertThat(SessionSimulator.misspell("Restaurant, please!", dictionary, 0))
        .isEqualTo("Restaraunt, please!");
    assertThat(SessionSimulator.misspell("play some jazz", dictionary, 0)).isNull();
  }

  @Test
  void shouldGrowTheCatalogBeyondTheSourceBySplicingUtterancesOfTheSameIntent() throws IOException {
    // The whole source (the real utterances, or the built-in sample), then twice as many.
    SessionSimulator small = simulator().catalogSize(Integer.MAX_VALUE).users(200).build();
    int doubled = 2 * small.catalogSize();
    SessionSimulator large = simulator().catalogSize(doubled).splice(true).users(200).build();

    assertThat(large.catalogSize()).isEqualTo(doubled);
    assertThat(small.catalogSize()).isLessThan(large.catalogSize());
    Set<String> distinct = new HashSet<>();
    large.turns().forEachRemaining(turn -> distinct.add(turn.normalizedIntended()));
    Set<String> smallDistinct = new HashSet<>();
    small.turns().forEachRemaining(turn -> smallDistinct.add(turn.normalizedIntended()));
    assertThat(distinct.size()).isGreaterThan(smallDistinct.size());
  }

  @Test
  void shouldWriteOneOffMisrecognitionsThatAlwaysMeantOneUtteranceToTheTruth() throws IOException {
    SessionSimulator simulator =
        simulator().rareMisrecognitionProbability(0.2).abandonProbability(0).build();
    Path truth = dir.resolve("truth.tsv");

    SessionSimulator.Summary summary = simulator.writeLog(dir.resolve("s.jsonl.gz"), truth);

    Map<String, String> pairs = readTruth(truth);
    assertThat(summary.oneOffTruthPairs()).isPositive();
    assertThat(pairs)
        .hasSize(summary.exercisedTruthPairs() + summary.oneOffTruthPairs())
        .allSatisfy((source, target) -> assertThat(source).isNotEqualTo(target));
    List<SimulatedTurn> turns = collect(simulator.turns());
    for (SimulatedTurn turn : turns) {
      String heard = turn.normalizedUtterance();
      if (pairs.containsKey(heard)) {
        assertThat(turn.misrecognized()).isTrue();
        assertThat(turn.normalizedIntended()).isEqualTo(pairs.get(heard));
      }
    }
  }

  @Test
  void shouldMisspellAnyMisspellableWordByTheChoice() {
    MisspellingDictionary dictionary = MisspellingDictionary.builtIn();
    Set<String> variants = new HashSet<>();
    for (long choice = 0; choice < 50; choice++) {
      variants.add(
          SessionSimulator.misspellAnyWord(
              "What is the weather forecast for tomorrow?", dictionary, choice));
    }

    assertThat(variants).hasSizeGreaterThan(1).doesNotContainNull();
    assertThat(SessionSimulator.misspellAnyWord("play some jazz", dictionary, 0)).isNull();
  }

  private static ObjectNode nextTurnOfSession(List<ObjectNode> log, int index) {
    String session = log.get(index).path("sessionId").asText();
    for (int j = index + 1; j < log.size(); j++) {
      if (log.get(j).path("sessionId").asText().equals(session)) {
        return log.get(j);
      }
    }
    return null;
  }

  private static Map<String, String> readTruth(Path tsv) throws IOException {
    Map<String, String> pairs = new HashMap<>();
    for (String line : Files.readAllLines(tsv, StandardCharsets.UTF_8)) {
      String[] cells = line.split("\t");
      assertThat(cells).hasSize(2);
      pairs.put(cells[0], cells[1]);
    }
    return pairs;
  }

  private static List<SimulatedTurn> collect(java.util.Iterator<SimulatedTurn> turns) {
    List<SimulatedTurn> list = new ArrayList<>();
    turns.forEachRemaining(list::add);
    return list;
  }
}
