package io.hindsight.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

/** What the client refuses before it connects; replication is tested against a broker (ITs). */
class HindsightClientTest {

  @Test
  void shouldFailAtStartNamingABadKey() {
    assertThatThrownBy(
            () ->
                HindsightClient.builder()
                    .bootstrapServers("127.0.0.1:1")
                    .config(Map.of("compensation.mode", "psychic"))
                    .start())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("compensation.mode");
    assertThatThrownBy(
            () ->
                HindsightClient.builder()
                    .bootstrapServers("127.0.0.1:1")
                    .set("no.such", "1")
                    .start())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("no.such");
  }

  @Test
  void shouldRefuseACandidateWithoutExactlyOneKey() {
    assertThatThrownBy(() -> new Candidate(0.5, null, null, null, null, Candidate.NOW))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> new Candidate(0.5, new float[] {1}, Map.of("a", 1), null, null, Candidate.NOW))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Candidate.of(Double.NaN, new float[] {1}))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void shouldKeepTheCandidatesFieldsWhenNamingUserItemAndTime() {
    Candidate c = Candidate.of(0.4, new float[] {1, 2}).withUser("u").withItem("i").at(42);
    assertThat(c.userId()).isEqualTo("u");
    assertThat(c.itemId()).isEqualTo("i");
    assertThat(c.timestamp()).isEqualTo(42);
    assertThat(c.score()).isEqualTo(0.4);
    assertThat(new Compensated(0.4, 0.5, 3, 1.0).delta()).isEqualTo(0.5 - 0.4);
  }
}
