package io.hindsight.rewrite;

import io.hindsight.events.Interaction;
import io.hindsight.markov.UtteranceNormalizer;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns one user's finished session into reformulation chains and treatment outcomes. Knows nothing
 * of Kafka.
 *
 * <p>Defect inference: a turn with a {@code signal} is a defect unless the signal is {@code
 * success}; a turn without one is a defect when the user spoke again within the rephrase gap, and a
 * success otherwise (so a session's last turn succeeds unless flagged). A chain is a run of
 * defective turns ended by a successful turn (absorbed in success) or by the end of the session
 * (the user gave up: failure). Turns on which a rule was applied are treatments: they are kept out
 * of the chains (counting them would teach the chain its own rewrites), end the run before them
 * without absorbing it, and report whether the rewritten turn succeeded.
 */
public final class SessionAnalyzer {
  private final long rephraseGapMs;

  public SessionAnalyzer(long rephraseGapMs) {
    this.rephraseGapMs = rephraseGapMs;
  }

  /** Whether each turn (in time order) was a defect. */
  public boolean[] defects(List<Interaction> turns) {
    boolean[] defects = new boolean[turns.size()];
    for (int i = 0; i < turns.size(); i++) {
      Interaction turn = turns.get(i);
      if (turn.signal() != null) {
        defects[i] = turn.signal().isDefect();
      } else {
        defects[i] =
            i + 1 < turns.size()
                && turns.get(i + 1).timestamp() - turn.timestamp() <= rephraseGapMs;
      }
    }
    return defects;
  }

  /** The session's chains and treatments, in time order. */
  public List<Reformulation> analyze(String userId, List<Interaction> turns) {
    boolean[] defects = defects(turns);
    List<Reformulation> out = new ArrayList<>();
    List<String> run = new ArrayList<>();
    long runEnd = 0;
    for (int i = 0; i < turns.size(); i++) {
      Interaction turn = turns.get(i);
      if (turn.rewrite() != null) {
        run.clear();
        out.add(
            Reformulation.treatment(
                userId,
                turn.timestamp(),
                turn.rewrite().source(),
                turn.rewrite().target(),
                !defects[i]));
        continue;
      }
      String state = UtteranceNormalizer.normalize(turn.utterance());
      if (state.isEmpty()) {
        continue;
      }
      run.add(state);
      runEnd = turn.timestamp();
      if (!defects[i]) {
        out.add(Reformulation.chain(userId, runEnd, run, true));
        run.clear();
      }
    }
    if (!run.isEmpty()) {
      out.add(Reformulation.chain(userId, runEnd, run, false));
    }
    return out;
  }
}
