package io.hindsight.loadtests.harness;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class FaultVerdictTest {

  @Test
  void shouldCallALossVoidOnlyWhenTheBrokerDroppedCommittedMarkers() {
    List<String> loss = List.of("compensations: 21 lost");
    assertThat(LoadTest.faultVerdict(loss, 0)).isEqualTo("failed");
    assertThat(LoadTest.faultVerdict(loss, 1)).isEqualTo("void");
    assertThat(LoadTest.faultVerdict(List.of(), 1)).isEqualTo("passed");
    assertThat(LoadTest.faultVerdict(List.of(), 0)).isEqualTo("passed");
  }
}
