package io.hindsight.rewrite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hindsight.events.AppliedRewrite;
import io.hindsight.events.EventCodec;
import io.hindsight.events.Interaction;
import io.hindsight.events.Signal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SessionTurnsTest {
  private static Interaction turn(long t, String utterance) {
    return new Interaction("u", t, utterance, null, null, null, null);
  }

  private static byte[] appendAll(List<Interaction> turns) {
    byte[] stored = null;
    for (Interaction turn : turns) {
      stored = SessionTurns.append("u", stored, turn);
    }
    return stored;
  }

  @Test
  void shouldKeepEveryFieldOfEveryTurn() {
    List<Interaction> turns =
        List.of(
            new Interaction("u", 1_000, "play jazz", "s1", "PlayMusic", Signal.BARGE_IN, null),
            new Interaction("u", 2_000, "", null, null, Signal.EXPLICIT_NEGATIVE, null),
            new Interaction(
                "u",
                3_000,
                "plây jäzz ☃",
                null,
                null,
                Signal.SUCCESS,
                new AppliedRewrite("play jaz", "play jazz", 7)));
    byte[] stored = appendAll(turns);
    assertThat(SessionTurns.decode("u", stored)).containsExactlyElementsOf(turns);
    assertThat(SessionTurns.count(stored)).isEqualTo(3);
    assertThat(SessionTurns.lastTimestamp("u", stored)).isEqualTo(3_000);
    assertThat(stored).isEqualTo(SessionTurns.encode(turns));
  }

  @Test
  void shouldPlaceALateTurnInTimeOrderAfterTurnsAtTheSameTime() {
    Random random = new Random(11);
    for (int round = 0; round < 200; round++) {
      List<Interaction> arrived = new ArrayList<>();
      for (int i = 0; i < 1 + random.nextInt(12); i++) {
        arrived.add(turn(random.nextInt(6) * 1_000L, "turn " + i));
      }
      List<Interaction> expected = new ArrayList<>(arrived);
      expected.sort((a, b) -> Long.compare(a.timestamp(), b.timestamp())); // stable
      byte[] stored = appendAll(arrived);
      assertThat(SessionTurns.decode("u", stored)).containsExactlyElementsOf(expected);
      assertThat(SessionTurns.lastTimestamp("u", stored))
          .isEqualTo(expected.get(expected.size() - 1).timestamp());
    }
  }

  @Test
  void shouldReadASessionStoredAsJsonByAnEarlierVersionAndAppendToIt() throws Exception {
    List<Interaction> old = List.of(turn(1_000, "play maj and dragons"), turn(4_000, "weather"));
    byte[] json = EventCodec.JSON.writeValueAsBytes(old);
    assertThat(SessionTurns.decode("u", json)).containsExactlyElementsOf(old);
    assertThat(SessionTurns.lastTimestamp("u", json)).isEqualTo(4_000);

    byte[] appended = SessionTurns.append("u", json, turn(5_000, "stop"));
    assertThat(SessionTurns.decode("u", appended))
        .containsExactly(old.get(0), old.get(1), turn(5_000, "stop"));
  }

  @Test
  void shouldNameTheUserOfACorruptSession() {
    byte[] stored = appendAll(List.of(turn(1_000, "a"), turn(2_000, "b")));
    byte[] truncated = Arrays.copyOf(stored, stored.length - 3);
    assertThatThrownBy(() -> SessionTurns.decode("u7", truncated))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("Corrupt session of u7");
    byte[] longer = Arrays.copyOf(stored, stored.length + 1);
    assertThatThrownBy(() -> SessionTurns.decode("u7", longer))
        .hasMessageContaining("Corrupt session of u7");
  }
}
