package io.hindsight.markov;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChainStatisticsTest {

  private final ChainStatistics statistics = new ChainStatistics(ChainSettings.defaults());

  @Test
  void shouldCountTransitionsAndTheAbsorbingOutcome() {
    var changed =
        statistics.recordChain(
            "ann",
            List.of("Play Maj and Dragons", "play imagine dragons!"),
            ChainOutcome.SUCCESS,
            0);
    statistics.recordChain("bob", List.of("play imagine dragons"), ChainOutcome.SUCCESS, 0);
    statistics.recordChain("cat", List.of("play maj and dragons"), ChainOutcome.FAILURE, 0);

    assertThat(changed).containsExactly("play maj and dragons", "play imagine dragons");
    assertThat(statistics.stateCount()).isEqualTo(2);
    assertThat(statistics.outgoingCount("play maj and dragons")).isEqualTo(2);
    assertThat(statistics.successRate("play maj and dragons")).isZero();
    assertThat(statistics.transitionProbability("play maj and dragons", "play imagine dragons"))
        .isEqualTo(0.5);
    assertThat(statistics.successRate("play imagine dragons")).isEqualTo(1);
    assertThat(statistics.distinctUsers("play maj and dragons")).isEqualTo(2);
    assertThat(statistics.distinctUsers("play maj and dragons", "play imagine dragons"))
        .isEqualTo(1);
  }

  @Test
  void shouldSkipTurnsThatNormalizeToNothing() {
    var changed = statistics.recordChain("ann", List.of("?!", "  "), ChainOutcome.FAILURE, 0);

    assertThat(changed).isEmpty();
    assertThat(statistics.stateCount()).isZero();
  }

  @Test
  void shouldCountOneUserOnceHoweverOftenTheyRepeat() {
    for (int i = 0; i < 1000; i++) {
      statistics.recordChain("ann", List.of("qvc", "hsn"), ChainOutcome.SUCCESS, i);
    }

    assertThat(statistics.outgoingCount("qvc")).isEqualTo(1000);
    assertThat(statistics.distinctUsers("qvc")).isEqualTo(1);
    assertThat(statistics.distinctUsers("qvc", "hsn")).isEqualTo(1);
  }

  @Test
  void shouldCountDistinctUsersExactlyBelowTheSketchSizeAndEstimateAbove() {
    ChainStatistics sketched =
        new ChainStatistics(ChainSettings.defaults().withSupportSketchSize(64));
    for (int user = 0; user < 63; user++) {
      sketched.recordChain("user-" + user, List.of("a", "b"), ChainOutcome.SUCCESS, 0);
      sketched.recordChain("user-" + user, List.of("a", "b"), ChainOutcome.SUCCESS, 0);
    }
    assertThat(sketched.distinctUsers("a")).isEqualTo(63);
    assertThat(sketched.distinctUsers("a", "b")).isEqualTo(63);

    for (int user = 63; user < 20_000; user++) {
      sketched.recordChain("user-" + user, List.of("a", "b"), ChainOutcome.SUCCESS, 0);
    }
    // Bottom-k with k = 64: relative standard error about 1/sqrt(62) ≈ 13 %.
    assertThat((double) sketched.distinctUsers("a", "b")).isCloseTo(20_000, within(8_000.0));
    assertThat(sketched.distinctUsers("a")).isEqualTo(sketched.distinctUsers("a", "b"));
  }

  @Test
  void shouldKeepTheTopSuccessorsAndLeakEvictedMassToFailure() {
    ChainStatistics bounded = new ChainStatistics(ChainSettings.defaults().withMaxSuccessors(2));
    for (int i = 0; i < 5; i++) {
      bounded.recordChain("u" + i, List.of("src", "frequent"), ChainOutcome.SUCCESS, 0);
    }
    bounded.recordChain("x", List.of("src", "rare one"), ChainOutcome.SUCCESS, 0);
    bounded.recordChain("y", List.of("src", "rare two"), ChainOutcome.SUCCESS, 0);

    assertThat(bounded.successors("src")).containsExactly("frequent", "rare two");
    assertThat(bounded.outgoingCount("src")).isEqualTo(7);
    assertThat(bounded.transitionProbability("src", "frequent")).isCloseTo(5 / 7.0, within(1e-12));
    assertThat(bounded.distinctUsers("src", "rare one")).isZero();
    assertThat(bounded.distinctUsers("src", "rare two")).isEqualTo(1);
    assertThat(bounded.distinctUsers("src", "frequent")).isEqualTo(5);
  }

  @Test
  void shouldDecayCountsWithEventTimeWithoutChangingProbabilities() {
    ChainStatistics decaying =
        new ChainStatistics(ChainSettings.defaults().withHalfLife(Duration.ofHours(1)));
    long hour = Duration.ofHours(1).toMillis();
    decaying.recordChain("a", List.of("weather"), ChainOutcome.SUCCESS, 0);
    decaying.recordChain("b", List.of("weather"), ChainOutcome.FAILURE, 0);
    decaying.recordChain("c", List.of("weather"), ChainOutcome.SUCCESS, 2 * hour);

    // The first two count a quarter after two half-lives: S = 1/4 + 1, n = 1/2 + 1.
    assertThat(decaying.outgoingCount("weather")).isCloseTo(1.5, within(1e-12));
    assertThat(decaying.successRate("weather")).isCloseTo(1.25 / 1.5, within(1e-12));

    // A late event one hour before the state's clock counts half.
    decaying.recordChain("d", List.of("weather"), ChainOutcome.FAILURE, hour);
    assertThat(decaying.outgoingCount("weather")).isCloseTo(2.0, within(1e-12));
    assertThat(decaying.successRate("weather")).isCloseTo(1.25 / 2.0, within(1e-12));
  }

  @Test
  void shouldGrowPastItsExpectedSize() {
    ChainStatistics small = new ChainStatistics(ChainSettings.defaults().withExpectedStates(1));
    for (int i = 0; i < 5000; i++) {
      small.recordChain("u", List.of("state " + i, "state " + (i + 1)), ChainOutcome.SUCCESS, 0);
    }

    assertThat(small.stateCount()).isEqualTo(5001);
    assertThat(small.successRate("state 5000")).isEqualTo(1);
    assertThat(small.transitionProbability("state 17", "state 18")).isEqualTo(0.5);
  }

  @Test
  void shouldRejectInvalidSettingsNamingTheField() {
    assertThatThrownBy(() -> ChainSettings.defaults().withMaxSuccessors(0))
        .hasMessageContaining("maxSuccessors");
    assertThatThrownBy(() -> ChainSettings.defaults().withSupportSketchSize(1))
        .hasMessageContaining("supportSketchSize");
    assertThatThrownBy(() -> ChainSettings.defaults().withHalfLife(Duration.ofSeconds(-1)))
        .hasMessageContaining("halfLife");
  }

  @Test
  void shouldEvictColdStatesLeastSupportedFirstAndNeverAKeptOne() {
    ChainStatistics statistics = new ChainStatistics(ChainSettings.defaults());
    for (int user = 0; user < 5; user++) {
      statistics.recordChain("u" + user, List.of("popular"), ChainOutcome.SUCCESS, 1_000);
    }
    statistics.recordChain("u0", List.of("rare one"), ChainOutcome.SUCCESS, 1_000);
    statistics.recordChain("u0", List.of("rare kept"), ChainOutcome.SUCCESS, 1_000);
    statistics.recordChain("u1", List.of("rare but recent"), ChainOutcome.SUCCESS, 55_000);
    statistics.recordChain("u1", List.of("two users"), ChainOutcome.SUCCESS, 1_000);
    statistics.recordChain("u2", List.of("two users"), ChainOutcome.SUCCESS, 1_000);

    statistics.evictColdStates(3, 10_000, 60_000, state -> state.equals("rare kept"));

    assertThat(statistics.liveStates()).isEqualTo(3);
    assertThat(statistics.evictions()).isEqualTo(2);
    assertThat(statistics.contains("rare one")).isFalse();
    assertThat(statistics.contains("two users")).isFalse();
    assertThat(statistics.contains("rare kept")).as("kept by the caller").isTrue();
    assertThat(statistics.contains("rare but recent")).as("seen within the horizon").isTrue();
    assertThat(statistics.contains("popular")).isTrue();
  }

  @Test
  void shouldDropEdgesIntoAnEvictedStateKeepingTheirMassAsALeak() {
    ChainStatistics statistics = new ChainStatistics(ChainSettings.defaults());
    statistics.recordChain("ann", List.of("plya jazz", "play jazz"), ChainOutcome.SUCCESS, 0);
    statistics.recordChain("bob", List.of("plya jazz", "play jaz"), ChainOutcome.SUCCESS, 0);
    for (int user = 0; user < 3; user++) {
      statistics.recordChain("u" + user, List.of("plya jazz"), ChainOutcome.SUCCESS, 0);
      statistics.recordChain("u" + user, List.of("play jazz"), ChainOutcome.SUCCESS, 0);
    }
    double outgoing = statistics.outgoingCount("plya jazz");

    var touched = statistics.evictColdStates(2, 0, 0, state -> false);

    assertThat(statistics.contains("play jaz")).isFalse();
    assertThat(touched).containsExactly("plya jazz");
    assertThat(statistics.successors("plya jazz")).containsExactly("play jazz");
    assertThat(statistics.outgoingCount("plya jazz")).isEqualTo(outgoing);
    assertThat(statistics.transitionProbability("plya jazz", "play jazz"))
        .isCloseTo(1 / outgoing, within(1e-12));
  }

  @Test
  void shouldFindEveryStateAfterEvictionsAndReuseTheFreedIds() {
    ChainStatistics statistics = new ChainStatistics(ChainSettings.defaults());
    for (int i = 0; i < 5_000; i++) {
      // Even states are seen by two users and late: the odd ones are evicted first.
      statistics.recordChain("a", List.of("state " + i), ChainOutcome.SUCCESS, i);
      if (i % 2 == 0) {
        statistics.recordChain("b", List.of("state " + i), ChainOutcome.SUCCESS, i);
      }
    }
    int highWater = statistics.stateCount();

    statistics.evictColdStates(2_500, 0, 10_000, state -> false);
    for (int i = 0; i < 1_000; i++) {
      statistics.recordChain("c", List.of("new state " + i), ChainOutcome.SUCCESS, 20_000);
    }

    for (int i = 0; i < 5_000; i++) {
      assertThat(statistics.contains("state " + i)).as("state %d", i).isEqualTo(i % 2 == 0);
    }
    for (int i = 0; i < 1_000; i++) {
      assertThat(statistics.contains("new state " + i)).isTrue();
    }
    assertThat(statistics.liveStates()).isEqualTo(3_500);
    assertThat(statistics.stateCount()).as("freed ids reused").isEqualTo(highWater);
  }

  @Test
  void shouldKeepTheIncrementalSolverExactAcrossEvictions() {
    ChainStatistics statistics = new ChainStatistics(ChainSettings.defaults());
    IncrementalAbsorptionSolver solver = new IncrementalAbsorptionSolver();
    RandomChains chains = new RandomChains(11, 2, 60, 30);
    for (int round = 0; round < 6; round++) {
      java.util.Set<String> changed = new java.util.LinkedHashSet<>();
      for (int i = 0; i < 300; i++) {
        changed.addAll(RandomChains.record(statistics, chains.next()));
      }
      changed.addAll(
          statistics.evictColdStates(
              statistics.liveStates() * 3 / 4, 0, Long.MAX_VALUE, state -> false));
      solver.update(statistics, changed);
      ExactAbsorptionSolver exact = new ExactAbsorptionSolver().solve(statistics);
      for (int id = 0; id < statistics.stateCount(); id++) {
        String state = statistics.utterance(id);
        if (state != null) {
          assertThat(solver.successProbability(state))
              .as("round %d, %s", round, state)
              .isCloseTo(exact.successProbability(state), within(1e-9));
        }
      }
    }
  }
}
