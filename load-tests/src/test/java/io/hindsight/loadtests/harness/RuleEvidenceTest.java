package io.hindsight.loadtests.harness;

import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.loadtests.harness.RuleEvidence.IntactChain;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RuleEvidenceTest {
  private static final long GAP = 45_000;

  @Test
  void shouldCompleteAtTheThirdSessionCloseWhenRephrasesAndClosesAgree() {
    assertThat(
            evidence(
                List.of(chain(1, 1_000), chain(2, 100_000), chain(3, 200_000)),
                Map.of(
                    1, List.of(0L, 1_000L),
                    2, List.of(99_000L, 100_000L),
                    3, List.of(199_000L, 200_000L))))
        .isEqualTo(new RuleEvidence(200_000, 245_000));
  }

  /** The second user talks on: their chain is counted only when that longer session closes. */
  @Test
  void shouldWaitForAnEarlierUsersSessionThatClosesLast() {
    assertThat(
            evidence(
                List.of(chain(1, 1_000), chain(2, 100_000), chain(3, 110_000)),
                Map.of(
                    1, List.of(0L, 1_000L),
                    2, List.of(99_000L, 100_000L, 140_000L, 180_000L),
                    3, List.of(109_000L, 110_000L))))
        .isEqualTo(new RuleEvidence(110_000, 225_000));
  }

  /** A fourth user whose session closes before the second's completes the evidence instead. */
  @Test
  void shouldCountTheEarliestClosesWhicheverOrderTheUsersRephrasedIn() {
    assertThat(
            evidence(
                List.of(chain(1, 1_000), chain(2, 100_000), chain(3, 110_000), chain(4, 120_000)),
                Map.of(
                    1, List.of(0L, 1_000L),
                    2, List.of(99_000L, 100_000L, 140_000L, 180_000L),
                    3, List.of(109_000L, 110_000L),
                    4, List.of(119_000L, 120_000L))))
        .isEqualTo(new RuleEvidence(120_000, 165_000));
  }

  @Test
  void shouldCountAUserOnceAndLeaveOutRulesShortOfUsers() {
    assertThat(
            evidence(
                List.of(chain(1, 1_000), chain(1, 100_000), chain(2, 200_000)),
                Map.of(
                    1, List.of(0L, 1_000L, 99_000L, 100_000L),
                    2, List.of(199_000L, 200_000L))))
        .isNull();
  }

  /** The evidence of one failing utterance that needs three users, or null when incomplete. */
  private static RuleEvidence evidence(List<IntactChain> chains, Map<Integer, List<Long>> turns) {
    return RuleEvidence.of(Map.of("f", chains), turns, 3, GAP).get("f");
  }

  private static IntactChain chain(int user, long rephraseAt) {
    return new IntactChain(user, rephraseAt);
  }
}
