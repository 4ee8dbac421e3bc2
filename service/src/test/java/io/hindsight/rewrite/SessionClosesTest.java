package io.hindsight.rewrite;

import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.DerivedIndex;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.apache.kafka.common.utils.Bytes;
import org.junit.jupiter.api.Test;

class SessionClosesTest {

  @Test
  void shouldCloseInTheOrderOfTheByteKeysItReplaced() {
    String[] users = {"u1", "u10", "u2", "", "é", "z", "\u00ff", "\uffff", "😀", "U1", "u1 "};
    SplittableRandom random = new SplittableRandom(7);
    SessionCloses closes = new SessionCloses();
    TreeMap<Bytes, String> keys = new TreeMap<>();
    for (int i = 0; i < 2000; i++) {
      long closeAt = 1 + random.nextInt(20);
      String user = users[random.nextInt(users.length)] + (random.nextBoolean() ? "" : i);
      closes.add(closeAt, user);
      keys.put(DerivedIndex.key(closeAt, user), user);
      if (random.nextInt(4) == 0) {
        closes.remove(closeAt, user);
        keys.remove(DerivedIndex.key(closeAt, user));
      }
    }

    List<String> closed = new ArrayList<>();
    for (String user = closes.pollBefore(21); user != null; user = closes.pollBefore(21)) {
      closed.add(user);
    }

    assertThat(closed).containsExactlyElementsOf(keys.values());
  }

  @Test
  void shouldCloseOnlySessionsDueBeforeTheTime() {
    SessionCloses closes = new SessionCloses();
    closes.add(10, "a");
    closes.add(11, "b");

    assertThat(closes.pollBefore(10)).isNull();
    assertThat(closes.pollBefore(11)).isEqualTo("a");
    assertThat(closes.pollBefore(11)).isNull();
  }
}
