package io.hindsight.rewrite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hindsight.events.EventCodec;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReformulationTest {
  @Test
  void shouldRoundTripChainsAndTreatments() {
    List<Reformulation> entries =
        List.of(
            Reformulation.chain("u1", 1_000, List.of("play jäzz ☃", "play jazz"), true),
            Reformulation.chain("u2", 2_000, List.of("stop"), false),
            Reformulation.chain("u3", 3_000, List.of(), true),
            Reformulation.treatment("u4", 4_000, "plei jazz", "play jazz", false),
            new Reformulation("u5", 5_000, List.of("a"), null, null, null));
    for (Reformulation entry : entries) {
      assertThat(Reformulation.decode(entry.encode())).isEqualTo(entry);
    }
  }

  @Test
  void shouldReadEntriesWrittenAsJsonByEarlierVersions() {
    Reformulation chain = Reformulation.chain("u", 1_000, List.of("plei jazz", "play jazz"), true);
    Reformulation treatment = Reformulation.treatment("u", 2_000, "plei jazz", "play jazz", true);
    assertThat(Reformulation.decode(EventCodec.encode(chain))).isEqualTo(chain);
    assertThat(Reformulation.decode(EventCodec.encode(treatment))).isEqualTo(treatment);
  }

  @Test
  void shouldRejectTruncatedOrPaddedEntriesByName() {
    byte[] encoded = Reformulation.chain("u", 1_000, List.of("play jazz"), true).encode();
    for (byte[] corrupt :
        List.of(
            Arrays.copyOf(encoded, encoded.length - 1),
            Arrays.copyOf(encoded, encoded.length + 1),
            Arrays.copyOf(encoded, 5))) {
      assertThatThrownBy(() -> Reformulation.decode(corrupt))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageStartingWith("Corrupt reformulation record");
    }
  }
}
