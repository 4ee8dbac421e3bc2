package io.hindsight.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.RepeatedTest;

class EmbeddedKafkaPortsTest {

  /**
   * The broker's two listeners need two ports: picked one after the other, the second could be the
   * port the first just released, and the broker then failed to start (seen in CI).
   */
  @RepeatedTest(20)
  void shouldPickDistinctFreePorts() {
    int[] ports = EmbeddedKafka.freePorts(8);
    assertThat(Arrays.stream(ports).distinct().count()).isEqualTo(8);
    assertThat(Arrays.stream(ports).min().getAsInt()).isPositive();
  }
}
