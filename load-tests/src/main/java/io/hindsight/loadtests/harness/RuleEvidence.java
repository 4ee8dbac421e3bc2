package io.hindsight.loadtests.harness;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * When a rule's evidence was complete, as the service can know it: the event time of the last
 * rephrase it needed, and the close of the last session it needed (that session's last turn plus
 * the session gap), which may be another user's.
 */
record RuleEvidence(long rephraseAt, long sessionClosedAt) {

  /** A user's failing turn and its rephrase, with no other turn of theirs between. */
  record IntactChain(int user, long rephraseAt) {}

  /**
   * The rule evidence of each failing utterance that has intact chains of at least {@code users}
   * distinct users. The service counts a chain when its session closes, so the evidence is complete
   * at the {@code users}-th earliest close among those users (each at their earliest), not at the
   * {@code users}-th rephrase: an earlier user's session may still be open when a later one's
   * closes.
   *
   * @param chains failing utterance → its intact chains
   * @param turnTimes user → the event times of all their turns
   */
  static Map<String, RuleEvidence> of(
      Map<String, List<IntactChain>> chains,
      Map<Integer, List<Long>> turnTimes,
      int users,
      long sessionGapMs) {
    Map<String, RuleEvidence> evidence = new HashMap<>();
    chains.forEach(
        (failing, intact) -> {
          Map<Integer, RuleEvidence> earliestOfUser = new HashMap<>();
          for (IntactChain chain : List.copyOf(intact)) {
            long lastTurn =
                sessionLastTurn(
                    turnTimes.getOrDefault(chain.user(), List.of()),
                    chain.rephraseAt(),
                    sessionGapMs);
            earliestOfUser.merge(
                chain.user(),
                new RuleEvidence(chain.rephraseAt(), lastTurn + sessionGapMs),
                (a, b) -> a.sessionClosedAt() <= b.sessionClosedAt() ? a : b);
          }
          if (earliestOfUser.size() >= users) {
            List<RuleEvidence> byClose = new ArrayList<>(earliestOfUser.values());
            byClose.sort(Comparator.comparingLong(RuleEvidence::sessionClosedAt));
            List<RuleEvidence> needed = byClose.subList(0, users);
            evidence.put(
                failing,
                new RuleEvidence(
                    needed.stream().mapToLong(RuleEvidence::rephraseAt).max().orElseThrow(),
                    needed.get(users - 1).sessionClosedAt()));
          }
        });
    return evidence;
  }

  /** The event time of the last turn of the session of {@code times} that holds {@code at}. */
  static long sessionLastTurn(List<Long> times, long at, long sessionGapMs) {
    List<Long> sorted = new ArrayList<>(times);
    sorted.sort(null);
    long last = at;
    for (long time : sorted) {
      if (time > last && time - last <= sessionGapMs) {
        last = time;
      } else if (time > last) {
        break;
      }
    }
    return last;
  }
}
