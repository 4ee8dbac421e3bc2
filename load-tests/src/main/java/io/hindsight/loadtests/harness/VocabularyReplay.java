package io.hindsight.loadtests.harness;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hindsight.datasets.EventLogReader;
import io.hindsight.datasets.LogLine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The sessions of a {@code hindsight dataset sessions} log, in the order they end, for {@link
 * LoadGenerator} to replay round and round (see {@link Scenario.Vocabulary}). A session is a user's
 * turns with no gap above the service's session gap; each turn keeps its offset from the session's
 * first. Past the log's end the replay starts a new lap: the same sessions at the current time
 * (the generator stamps each with the time it starts), spoken by fresh user ids ({@code
 * <user>~<copy>@<lap>}), so that a run can be longer than the log without one user's sessions
 * overlapping. Single-threaded (the generator's).
 */
final class VocabularyReplay {
  record Turn(long offsetMs, String utterance, String signal) {}

  record Session(String user, List<Turn> turns) {}

  private final List<Session> sessions;
  private final int userCopies;
  private final Map<String, Integer> sessionsOfUser = new HashMap<>();
  private final long turns;
  private int next;
  private int lap;

  private VocabularyReplay(List<Session> sessions, int userCopies, long turns) {
    this.sessions = sessions;
    this.userCopies = userCopies;
    this.turns = turns;
  }

  static VocabularyReplay load(Scenario.Vocabulary vocabulary, long sessionGapMs) {
    Map<String, String> strings = new HashMap<>();
    Map<String, List<Turn>> open = new LinkedHashMap<>();
    Map<String, long[]> firstAndLast = new HashMap<>();
    List<Session> sessions = new ArrayList<>();
    long turns = 0;
    try (EventLogReader reader = EventLogReader.open(vocabulary.log())) {
      for (LogLine line : reader) {
        if (line.isError()) {
          continue;
        }
        ObjectNode event = line.event();
        if (!event.path("type").asText().equals("interaction")) {
          continue;
        }
        String user = strings.computeIfAbsent(event.path("userId").asText(), k -> k);
        long ts = event.path("timestamp").asLong();
        long[] times = firstAndLast.get(user);
        if (times != null && ts - times[1] > sessionGapMs) {
          sessions.add(new Session(user, open.remove(user)));
          times = null;
        }
        if (times == null) {
          times = new long[] {ts, ts};
          firstAndLast.put(user, times);
          open.put(user, new ArrayList<>(4));
        }
        times[1] = Math.max(times[1], ts);
        String signal = event.hasNonNull("signal") ? event.get("signal").asText() : null;
        open.get(user)
            .add(
                new Turn(
                    Math.max(0, ts - times[0]),
                    strings.computeIfAbsent(event.path("utterance").asText(), k -> k),
                    signal == null ? null : strings.computeIfAbsent(signal, k -> k)));
        turns++;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + vocabulary.log(), e);
    }
    open.forEach((user, list) -> sessions.add(new Session(user, list)));
    if (sessions.isEmpty()) {
      throw new IllegalArgumentException("No interactions in " + vocabulary.log());
    }
    return new VocabularyReplay(sessions, vocabulary.userCopies(), turns);
  }

  double turnsPerSession() {
    return turns / (double) sessions.size();
  }

  int sessions() {
    return sessions.size();
  }

  long turns() {
    return turns;
  }

  /** Laps of the log begun so far (1 during the first). */
  int laps() {
    return lap + 1;
  }

  /**
   * The next session, its user one of the original's copies (their sessions taken in turn), the
   * copies of later laps new users.
   */
  Session next() {
    if (next == sessions.size()) {
      next = 0;
      lap++;
      sessionsOfUser.clear();
    }
    Session session = sessions.get(next++);
    int count = sessionsOfUser.merge(session.user(), 1, Integer::sum);
    String copy = session.user() + "~" + (count % userCopies);
    return new Session(lap == 0 ? copy : copy + "@" + lap, session.turns());
  }
}
