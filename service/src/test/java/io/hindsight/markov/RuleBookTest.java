package io.hindsight.markov;

import static io.hindsight.markov.ChainOutcome.FAILURE;
import static io.hindsight.markov.ChainOutcome.SUCCESS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class RuleBookTest {

  private static final long HOUR = Duration.ofHours(1).toMillis();
  private static final RewriteSettings SETTINGS =
      RewriteSettings.defaults().withMargin(0.2).withMinUsers(5, 3);
  private static final RuleLifecycleSettings LIFECYCLE =
      new RuleLifecycleSettings(20, 0.95, Duration.ofHours(6), 0.02);

  private final RewriteFixture fixture = new RewriteFixture(SETTINGS, LIFECYCLE);

  private void learnImagineDragons() {
    fixture
        .chain(8, SUCCESS, "play maj and dragons", "play imagine dragons")
        .chain(2, FAILURE, "play maj and dragons")
        .chain(20, SUCCESS, "play imagine dragons");
  }

  @Test
  void shouldCreateARuleWithAVersionAndTheEventTime() {
    learnImagineDragons();

    List<RuleChange> changes = fixture.refresh(5 * HOUR);

    assertThat(changes).hasSize(1);
    RuleChange change = changes.get(0);
    assertThat(change.type()).isEqualTo(RuleChange.Type.CREATED);
    assertThat(change.reason()).isEqualTo(RuleChange.Reason.CHOSEN);
    assertThat(change.isTombstone()).isFalse();
    assertThat(change.source()).isEqualTo("play maj and dragons");
    assertThat(change.rule().target()).isEqualTo("play imagine dragons");
    assertThat(change.rule().version()).isEqualTo(1);
    assertThat(change.rule().updatedAt()).isEqualTo(5 * HOUR);
    assertThat(fixture.book.isLiveSource("play maj and dragons")).isTrue();
    assertThat(fixture.book.isLiveTarget("play imagine dragons")).isTrue();
    assertThat(fixture.refresh(6 * HOUR)).isEmpty();
  }

  @Test
  void shouldRetractAnUnderperformingRuleAndReadmitItAfterTheCoolDown() {
    learnImagineDragons();
    fixture.refresh(0);
    // Organic R_S of the source is 0; make it 0.5 so that a rule succeeding 10 % is worse.
    fixture.chain(10, SUCCESS, "play maj and dragons");
    assertThat(fixture.refresh(HOUR))
        .extracting(RuleChange::reason)
        .containsExactly(RuleChange.Reason.FIGURES_MOVED);

    for (int i = 0; i < 19; i++) {
      fixture.book.recordApplication("play maj and dragons", "play imagine dragons", i == 0);
    }
    assertThat(fixture.refresh(2 * HOUR)).as("fewer than 20 applications").isEmpty();
    fixture.book.recordApplication("Play Maj and Dragons", "play imagine dragons!", false);

    List<RuleChange> retracted = fixture.refresh(3 * HOUR);

    assertThat(retracted)
        .singleElement()
        .satisfies(
            change -> {
              assertThat(change.type()).isEqualTo(RuleChange.Type.RETRACTED);
              assertThat(change.reason()).isEqualTo(RuleChange.Reason.UNDERPERFORMING);
              assertThat(change.isTombstone()).isTrue();
              assertThat(change.rule().target()).isEqualTo("play imagine dragons");
            });
    assertThat(fixture.book.liveRules()).isEmpty();
    assertThat(fixture.book.isLiveTarget("play imagine dragons")).isFalse();
    assertThat(fixture.book.isCoolingDown("play maj and dragons", 3 * HOUR)).isTrue();
    assertThat(fixture.book.recordApplication("play maj and dragons", "play imagine dragons", true))
        .as("outcomes of a retracted rule")
        .isFalse();

    // New evidence during the cool-down does not bring the rule back.
    fixture.chain(5, SUCCESS, "play maj and dragons", "play imagine dragons");
    assertThat(fixture.refresh(8 * HOUR)).isEmpty();

    List<RuleChange> readmitted = fixture.refresh(9 * HOUR);

    assertThat(readmitted)
        .singleElement()
        .satisfies(
            change -> {
              assertThat(change.type()).isEqualTo(RuleChange.Type.CREATED);
              assertThat(change.rule().version()).isEqualTo(3);
              assertThat(change.rule().updatedAt()).isEqualTo(9 * HOUR);
            });
    assertThat(fixture.book.posterior("play maj and dragons")).contains(RulePosterior.PRIOR);
  }

  @Test
  void shouldKeepARuleThatDoesBetterThanTheSourceAlone() {
    learnImagineDragons();
    fixture.refresh(0);
    for (int i = 0; i < 200; i++) {
      fixture.book.recordApplication("play maj and dragons", "play imagine dragons", i % 5 != 0);
    }

    assertThat(fixture.refresh(HOUR)).isEmpty();
    assertThat(fixture.book.posterior("play maj and dragons").orElseThrow().applications())
        .isEqualTo(200);
  }

  @Test
  void shouldIgnoreOutcomesForAnotherTargetOrNoRule() {
    learnImagineDragons();
    fixture.refresh(0);

    assertThat(fixture.book.recordApplication("play maj and dragons", "something else", false))
        .isFalse();
    assertThat(fixture.book.recordApplication("no rule here", "play imagine dragons", false))
        .isFalse();
    assertThat(fixture.book.posterior("play maj and dragons")).contains(RulePosterior.PRIOR);
  }

  @Test
  void shouldWithdrawARuleTheStatisticsNoLongerSupport() {
    learnImagineDragons();
    fixture.refresh(0);
    // The target starts failing for everyone: no friction removed any more.
    fixture.chain(200, FAILURE, "play imagine dragons");

    List<RuleChange> changes = fixture.refresh(HOUR);

    assertThat(changes)
        .singleElement()
        .satisfies(
            change -> {
              assertThat(change.type()).isEqualTo(RuleChange.Type.RETRACTED);
              assertThat(change.reason()).isEqualTo(RuleChange.Reason.WITHDRAWN);
            });
    assertThat(fixture.book.coolDowns()).isEmpty();
  }

  @Test
  void shouldRepublishWhenTheFiguresMoveButNotForNoise() {
    learnImagineDragons();
    fixture.refresh(0);
    fixture.chain(1, SUCCESS, "play imagine dragons");
    assertThat(fixture.refresh(HOUR)).isEmpty();

    fixture.chain(6, SUCCESS, "play maj and dragons");
    List<RuleChange> changes = fixture.refresh(2 * HOUR);

    assertThat(changes)
        .singleElement()
        .satisfies(
            change -> {
              assertThat(change.type()).isEqualTo(RuleChange.Type.UPDATED);
              assertThat(change.reason()).isEqualTo(RuleChange.Reason.FIGURES_MOVED);
              assertThat(change.rule().version()).isEqualTo(2);
              assertThat(change.rule().sourceSuccess()).isEqualTo(6 / 16.0);
            });
  }

  @Test
  void shouldMoveARuleToABetterTargetAndRestartItsEvidence() {
    learnImagineDragons();
    fixture.refresh(0);
    fixture.book.recordApplication("play maj and dragons", "play imagine dragons", true);
    fixture.chain(40, SUCCESS, "play maj and dragons", "play imagine dragons song");

    List<RuleChange> changes = fixture.refresh(HOUR);

    assertThat(changes)
        .singleElement()
        .satisfies(
            change -> {
              assertThat(change.type()).isEqualTo(RuleChange.Type.UPDATED);
              assertThat(change.reason()).isEqualTo(RuleChange.Reason.TARGET_CHANGED);
              assertThat(change.rule().target()).isEqualTo("play imagine dragons song");
            });
    assertThat(fixture.book.posterior("play maj and dragons")).contains(RulePosterior.PRIOR);
    assertThat(fixture.book.isLiveTarget("play imagine dragons")).isFalse();
  }

  @Test
  void shouldRestoreRulesAndContinueVersions() {
    RuleBook book = new RuleBook(LIFECYCLE);
    book.restore(
        new RewriteRule("a b", "a c", 0.5, 0.1, 0.9, 7, 41, 1000), new RulePosterior(3, 4));

    assertThat(book.rule("a b")).map(RewriteRule::version).contains(41L);
    assertThat(book.isLiveTarget("a c")).isTrue();
    assertThat(book.posterior("a b")).contains(new RulePosterior(3, 4));
  }

  @Test
  void shouldValidateLifecycleSettingsNamingTheField() {
    assertThatThrownBy(() -> new RuleLifecycleSettings(0, 0.95, Duration.ZERO, 0))
        .hasMessageContaining("minApplications");
    assertThatThrownBy(() -> new RuleLifecycleSettings(1, 0.4, Duration.ZERO, 0))
        .hasMessageContaining("retractionProbability");
  }

  static LongStream seeds() {
    return LongStream.range(0, 30);
  }

  /**
   * Random traffic, random rule outcomes, a block list: every rule ever published satisfies every
   * guard when checked against the dense oracle, the same inputs give the same changes, and no
   * chain of live rules ever exists.
   */
  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void shouldNeverPublishARuleThatViolatesAGuard(long seed) {
    List<RuleChange> first = runRandomTraffic(seed, true);
    List<RuleChange> second = runRandomTraffic(seed, false);

    assertThat(first).as("deterministic").isEqualTo(second);
    assertThat(first).as("the traffic publishes rules").isNotEmpty();
  }

  private static List<RuleChange> runRandomTraffic(long seed, boolean check) {
    Random random = new Random(seed);
    RewriteSettings settings =
        RewriteSettings.defaults()
            .withMargin(0.1 + random.nextDouble() * 0.2)
            .withMinUsers(3 + random.nextInt(3), 2 + random.nextInt(2))
            .withBlockList(Set.of("v0 s3", "v1 s4", "v2 s5"));
    RewriteFixture fixture =
        new RewriteFixture(
            settings, new RuleLifecycleSettings(10, 0.95, Duration.ofHours(2), 0.02));
    RandomChains chains = new RandomChains(seed, 3, 25, 60);
    List<RuleChange> all = new ArrayList<>();
    long now = 0;
    for (int round = 0; round < 8; round++) {
      Set<String> changed = new LinkedHashSet<>();
      for (int i = 0; i < 150; i++) {
        RandomChains.Chain chain = chains.next();
        changed.addAll(RandomChains.record(fixture.statistics, chain));
      }
      for (var rule : fixture.book.liveRules()) {
        for (int i = 0; i < 15; i++) {
          fixture.book.recordApplication(rule.source(), rule.target(), random.nextDouble() < 0.3);
        }
      }
      Set<String> candidates = new LinkedHashSet<>(changed);
      candidates.addAll(fixture.solver.update(fixture.statistics, changed));
      now += HOUR;
      List<RuleChange> changes = fixture.book.refresh(fixture.policy, candidates, now);
      all.addAll(changes);
      if (check) {
        assertGuardsHold(fixture, settings, changes);
      }
    }
    return all;
  }

  private static void assertGuardsHold(
      RewriteFixture fixture, RewriteSettings settings, List<RuleChange> changes) {
    ExactAbsorptionSolver exact = new ExactAbsorptionSolver().solve(fixture.statistics);
    ChainStatistics statistics = fixture.statistics;
    for (RuleChange change : changes) {
      if (change.isTombstone()) {
        continue;
      }
      RewriteRule rule = change.rule();
      String u = rule.source();
      String v = rule.target();
      assertThat(v).isNotEqualTo(u);
      assertThat(settings.blockList()).doesNotContain(u, v);
      assertThat(statistics.distinctUsers(u)).isGreaterThanOrEqualTo(settings.minSourceUsers());
      assertThat(statistics.distinctUsers(u, v))
          .isGreaterThanOrEqualTo(settings.minTransitionUsers())
          .isEqualTo(rule.support());
      assertThat(statistics.successRate(v) - statistics.successRate(u))
          .isGreaterThanOrEqualTo(settings.margin() - 1e-9);
      assertThat(exact.successProbability(v))
          .isGreaterThanOrEqualTo(exact.successProbability(u) - 1e-9);
      assertThat(
              UtteranceSimilarity.normalizedEditDistance(u, v) <= settings.maxEditDistance()
                  || UtteranceSimilarity.tokenJaccard(u, v) >= settings.minTokenJaccard()
                  || UtteranceSimilarity.phoneticKey(u).equals(UtteranceSimilarity.phoneticKey(v)))
          .isTrue();
    }
    Set<String> sources = new HashSet<>();
    Set<String> targets = new HashSet<>();
    for (RewriteRule rule : fixture.book.liveRules()) {
      sources.add(rule.source());
      targets.add(rule.target());
    }
    assertThat(Collections.disjoint(sources, targets)).as("no chain of live rules").isTrue();
  }
}
