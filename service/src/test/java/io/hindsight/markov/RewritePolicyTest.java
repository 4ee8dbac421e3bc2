package io.hindsight.markov;

import static io.hindsight.markov.ChainOutcome.FAILURE;
import static io.hindsight.markov.ChainOutcome.SUCCESS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class RewritePolicyTest {

  private static final RewriteSettings SETTINGS =
      RewriteSettings.defaults().withMargin(0.2).withMinUsers(5, 3);

  private final RewriteFixture fixture =
      new RewriteFixture(SETTINGS, RuleLifecycleSettings.defaults());

  @Test
  void shouldRewriteAFailingUtteranceIntoTheReformulationThatSucceeds() {
    fixture
        .chain(8, SUCCESS, "play maj and dragons", "play imagine dragons")
        .chain(2, FAILURE, "play maj and dragons")
        .chain(20, SUCCESS, "play imagine dragons");
    fixture.refresh(0);

    RewriteRule rule = fixture.policy.choose("play maj and dragons").orElseThrow();

    assertThat(rule.target()).isEqualTo("play imagine dragons");
    assertThat(rule.sourceSuccess()).isZero();
    assertThat(rule.targetSuccess()).isEqualTo(1);
    assertThat(rule.support()).isEqualTo(8);
    // P_S(source) = 0.8, all of it through the target.
    assertThat(rule.confidence()).isCloseTo(1, within(1e-9));
    assertThat(rule.version()).isZero();
  }

  @Test
  void shouldNeverCreateARuleFromOneUserRepeatingAReformulationAThousandTimes() {
    for (int i = 0; i < 1000; i++) {
      fixture.record("habit", SUCCESS, "play the thing", "play that thing");
    }
    fixture.chain(20, FAILURE, "play the thing").chain(20, SUCCESS, "play that thing");

    assertThat(fixture.refresh(0)).isEmpty();
    assertThat(fixture.policy.choose("play the thing")).isEmpty();
    assertThat(fixture.policy.violations("play the thing", "play that thing"))
        .containsExactly(RewriteGuard.TRANSITION_SUPPORT);
    assertThat(fixture.book.liveRules()).isEmpty();
  }

  @Test
  void shouldRefuseNavigationalSwitchesEvenWhenTheStatisticsSupportThem() {
    fixture
        .chain(30, SUCCESS, "qvc", "hsn")
        .chain(30, FAILURE, "qvc")
        .chain(30, SUCCESS, "play jazz", "stop")
        .chain(30, FAILURE, "play jazz");

    assertThat(fixture.refresh(0)).isEmpty();
    assertThat(fixture.policy.violations("qvc", "hsn")).containsExactly(RewriteGuard.DISSIMILAR);
    assertThat(fixture.policy.violations("play jazz", "stop"))
        .containsExactly(RewriteGuard.DISSIMILAR);

    RewritePolicy unguarded =
        new RewritePolicy(
            SETTINGS.withSimilarityGuard(false, 0.5, 0.25, true),
            fixture.statistics,
            fixture.solver,
            LiveRules.NONE);
    assertThat(unguarded.choose("qvc")).map(RewriteRule::target).contains("hsn");
  }

  @Test
  void shouldAcceptSimilarReformulationsByEditTokensOrSound() {
    fixture
        .chain(10, SUCCESS, "play bazzi angel", "play beautiful by bazzi")
        .chain(10, SUCCESS, "call jon", "call john")
        .chain(10, SUCCESS, "wether", "weather");

    fixture.refresh(0);

    assertThat(fixture.book.liveRules())
        .extracting(RewriteRule::source, RewriteRule::target)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("call jon", "call john"),
            org.assertj.core.groups.Tuple.tuple("play bazzi angel", "play beautiful by bazzi"),
            org.assertj.core.groups.Tuple.tuple("wether", "weather"));
  }

  @Test
  void shouldRefuseATargetThatRemovesTooLittleFriction() {
    fixture.chain(10, SUCCESS, "set alarm six", "set alarm 6");
    fixture.chain(10, SUCCESS, "set alarm six").chain(20, FAILURE, "set alarm six");
    fixture.chain(19, FAILURE, "set alarm 6");
    fixture.refresh(0);

    // R_S(source) = 10/40 = 0.25, R_S(target) = 10/29 ≈ 0.345: less than the 0.2 margin better.
    assertThat(fixture.policy.violations("set alarm six", "set alarm 6"))
        .containsExactly(RewriteGuard.NO_FRICTION_REMOVED);
  }

  @Test
  void shouldRefuseATargetWithWorseEventualSuccess() {
    // u: 1 success, 3 → v, 6 → w out of 10. v succeeds half the time and is otherwise abandoned;
    // w always succeeds. R_S(v) − R_S(u) = 0.4 but P_S(v) = 0.5 < P_S(u) = 0.85.
    fixture.chain(1, SUCCESS, "turn on the lights");
    fixture.chain(3, FAILURE, "turn on the lights", "turn on lights");
    fixture.chain(6, SUCCESS, "turn on the lights", "turn the lights on");
    fixture.chain(3, SUCCESS, "turn on lights").chain(3, FAILURE, "turn on lights");
    fixture.chain(5, SUCCESS, "turn on lights");
    fixture.refresh(0);

    assertThat(fixture.solver.successProbability("turn on the lights"))
        .isCloseTo(0.1 + 0.3 * 8 / 14.0 + 0.6, within(1e-9));
    assertThat(fixture.policy.violations("turn on the lights", "turn on lights"))
        .containsExactly(RewriteGuard.EVENTUAL_SUCCESS_WORSE);
    assertThat(fixture.book.rule("turn on the lights"))
        .map(RewriteRule::target)
        .contains("turn the lights on");
  }

  @Test
  void shouldHonourTheBlockListOnSourceAndTarget() {
    RewriteFixture blocked =
        new RewriteFixture(
            SETTINGS.withBlockList(Set.of("Play Imagine Dragons!", "stop it")),
            RuleLifecycleSettings.defaults());
    blocked.chain(10, SUCCESS, "play maj and dragons", "play imagine dragons");
    blocked.chain(10, SUCCESS, "stop it", "stop");
    blocked.chain(10, FAILURE, "stop it");

    assertThat(blocked.refresh(0)).isEmpty();
    assertThat(blocked.policy.violations("play maj and dragons", "play imagine dragons"))
        .containsExactly(RewriteGuard.BLOCKED);
    assertThat(blocked.policy.violations("stop it", "stop")).contains(RewriteGuard.BLOCKED);
  }

  @Test
  void shouldRefuseChainsOfRules() {
    fixture.chain(10, SUCCESS, "plya music", "play music");
    fixture.chain(10, FAILURE, "play musik", "plya music");
    fixture.chain(10, SUCCESS, "play musik", "plya music", "play music");
    fixture.refresh(0);

    // "plya music" → "play music" went live first (sorted order), so "play musik" may not use
    // "plya music" as its target, and "plya music" may not itself be rewritten into anything.
    assertThat(fixture.book.rule("plya music")).map(RewriteRule::target).contains("play music");
    assertThat(fixture.policy.violations("play musik", "plya music"))
        .contains(RewriteGuard.CHAINED);
    for (RewriteRule rule : fixture.book.liveRules()) {
      assertThat(fixture.book.isLiveSource(rule.target())).isFalse();
      assertThat(fixture.book.isLiveTarget(rule.source())).isFalse();
    }
  }

  @Test
  void shouldRefuseSupportThresholdsThatTheSketchCannotDecideExactly() {
    ChainStatistics statistics =
        new ChainStatistics(ChainSettings.defaults().withSupportSketchSize(8));

    assertThatThrownBy(
            () ->
                new RewritePolicy(
                    RewriteSettings.defaults().withMinUsers(10, 5),
                    statistics,
                    new IncrementalAbsorptionSolver(),
                    LiveRules.NONE))
        .hasMessageContaining("minSourceUsers");
  }

  @Test
  void shouldValidateSettingsNamingTheField() {
    assertThatThrownBy(() -> RewriteSettings.defaults().withMargin(1.5))
        .hasMessageContaining("margin");
    assertThatThrownBy(() -> RewriteSettings.defaults().withMinUsers(5, 1))
        .hasMessageContaining("minTransitionUsers");
    assertThatThrownBy(() -> RewriteSettings.defaults().withSearchBounds(0, 10))
        .hasMessageContaining("maxSearchDepth");
  }

  static LongStream seeds() {
    return LongStream.range(0, 25);
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void shouldComputeSuccessContributionsFromTheFundamentalMatrix(long seed) {
    ChainStatistics statistics = new ChainStatistics(ChainSettings.defaults());
    RandomChains chains = new RandomChains(seed, 2, 50, 40);
    Set<String> changed = new LinkedHashSet<>();
    for (int i = 0; i < 800; i++) {
      changed.addAll(RandomChains.record(statistics, chains.next()));
    }
    IncrementalAbsorptionSolver solver = new IncrementalAbsorptionSolver();
    solver.update(statistics, changed);
    ExactAbsorptionSolver exact = new ExactAbsorptionSolver().solve(statistics);
    RewritePolicy policy =
        new RewritePolicy(
            RewriteSettings.defaults().withSearchBounds(1000, 1000),
            statistics,
            solver,
            LiveRules.NONE);

    for (int id = 0; id < statistics.stateCount(); id += 7) {
      String source = statistics.utterance(id);
      Map<String, Double> contributions = policy.successContributions(source);
      double total = 0;
      for (Map.Entry<String, Double> entry : contributions.entrySet()) {
        double expected =
            exact.expectedVisits(source, entry.getKey()) * statistics.successRate(entry.getKey());
        assertThat(entry.getValue()).isCloseTo(expected, within(1e-9));
        total += entry.getValue();
      }
      // Σ_v N(u,v)·R_S(v) = P_S(u): nothing reachable was missed.
      assertThat(total).isCloseTo(exact.successProbability(source), within(1e-9));
    }
  }

  /**
   * {@link RewritePolicy#choose} skips the search when no successor passes the guards that need
   * none; it must still pick what ranking every reached state and testing each in turn picks.
   */
  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void shouldChooseTheBestRankedReachedStateThatPassesEveryGuard(long seed) {
    ChainStatistics statistics = new ChainStatistics(ChainSettings.defaults());
    RandomChains chains = new RandomChains(seed, 2, 30, 40);
    Set<String> changed = new LinkedHashSet<>();
    for (int i = 0; i < 800; i++) {
      changed.addAll(RandomChains.record(statistics, chains.next()));
    }
    IncrementalAbsorptionSolver solver = new IncrementalAbsorptionSolver();
    solver.update(statistics, changed);
    RewritePolicy policy =
        new RewritePolicy(
            RewriteSettings.defaults().withMargin(0.05).withMinUsers(2, 2),
            statistics,
            solver,
            LiveRules.NONE);

    int chosen = 0;
    for (int id = 0; id < statistics.stateCount(); id++) {
      String source = statistics.utterance(id);
      Optional<String> target = policy.choose(source).map(RewriteRule::target);
      assertThat(target).as(source).isEqualTo(rankEveryReachedState(policy, source));
      chosen += target.isPresent() ? 1 : 0;
    }
    assertThat(chosen).as("sources with a rule").isPositive();
  }

  /**
   * A decision stopped by its work bound before its winner was certain is counted; every other
   * decision is the one the complete search makes, whatever the budget.
   */
  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void shouldDecideAsTheCompleteSearchWheneverTheWinnerIsCertainWithinTheWorkBound(long seed) {
    ChainStatistics statistics = new ChainStatistics(ChainSettings.defaults());
    RandomChains chains = new RandomChains(seed, 1, 300, 60);
    Set<String> changed = new LinkedHashSet<>();
    for (int i = 0; i < 4000; i++) {
      changed.addAll(RandomChains.record(statistics, chains.next()));
    }
    IncrementalAbsorptionSolver solver = new IncrementalAbsorptionSolver();
    solver.update(statistics, changed);
    RewriteSettings guards = RewriteSettings.defaults().withMargin(0.05).withMinUsers(2, 2);
    RewritePolicy complete =
        new RewritePolicy(guards.withMaxPushes(10_000_000), statistics, solver, LiveRules.NONE);
    RewritePolicy bounded =
        new RewritePolicy(guards.withMaxPushes(8), statistics, solver, LiveRules.NONE);

    int certainRules = 0;
    for (int id = 0; id < statistics.stateCount(); id++) {
      String source = statistics.utterance(id);
      long uncertainBefore = bounded.uncertainDecisions();
      long decisionsBefore = bounded.decisions();
      long pushesBefore = bounded.pushes();
      Optional<RewriteRule> chosen = bounded.choose(source);
      assertThat(bounded.pushes() - pushesBefore)
          .isLessThanOrEqualTo(8 * (bounded.decisions() - decisionsBefore));
      chosen.ifPresent(
          rule -> assertThat(bounded.violations(source, rule.target())).as(source).isEmpty());
      if (bounded.uncertainDecisions() == uncertainBefore) {
        Optional<String> expected = complete.choose(source).map(RewriteRule::target);
        assertThat(chosen.map(RewriteRule::target)).as(source).isEqualTo(expected);
        certainRules += chosen.isPresent() ? 1 : 0;
      }
    }
    assertThat(certainRules).as("rules decided with certainty on 8 pushes").isPositive();
    assertThat(complete.uncertainDecisions()).isZero();
  }

  private static Optional<String> rankEveryReachedState(RewritePolicy policy, String source) {
    List<Map.Entry<String, Double>> ranked =
        new ArrayList<>(policy.successContributions(source).entrySet());
    ranked.sort(
        Map.Entry.<String, Double>comparingByValue()
            .reversed()
            .thenComparing(Map.Entry.comparingByKey(Comparator.naturalOrder())));
    return ranked.stream()
        .filter(e -> !e.getKey().equals(source) && e.getValue() > 0)
        .map(Map.Entry::getKey)
        .filter(target -> policy.violations(source, target).isEmpty())
        .findFirst();
  }
}
