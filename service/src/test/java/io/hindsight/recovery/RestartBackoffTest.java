package io.hindsight.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class RestartBackoffTest {

  @Test
  void shouldDoubleTheWaitWithEachFailureInARowUpToTheMaximum() {
    RestartBackoff backoff = new RestartBackoff(10, 1_000, 5_000);
    assertThat(backoff.failed(0)).hasValue(1_000);
    assertThat(backoff.failed(1)).hasValue(2_000);
    assertThat(backoff.failed(2)).hasValue(4_000);
    assertThat(backoff.failed(3)).hasValue(5_000);
    assertThat(backoff.failed(4)).hasValue(5_000);
  }

  @Test
  void shouldGiveUpOnceTheAttemptsAreSpent() {
    RestartBackoff backoff = new RestartBackoff(2, 100, 1_000);
    assertThat(backoff.failed(0)).isPresent();
    assertThat(backoff.failed(1)).isPresent();
    assertThat(backoff.failed(2)).isEqualTo(OptionalLong.empty());
  }

  @Test
  void shouldGiveUpAtTheFirstFailureWhenNoRestartIsAllowed() {
    assertThat(new RestartBackoff(0, 100, 1_000).failed(0)).isEmpty();
  }

  @Test
  void shouldStartCountingAgainAfterRunningForTheLongestWait() {
    RestartBackoff backoff = new RestartBackoff(2, 100, 1_000);
    backoff.failed(0);
    backoff.failed(1);
    backoff.running(2);
    assertThat(backoff.failed(1_002)).as("ran for the longest wait").hasValue(100);
    assertThat(backoff.failuresInARow()).isEqualTo(1);
  }

  @Test
  void shouldKeepCountingWhenAClientFailsSoonAfterReachingRunning() {
    RestartBackoff backoff = new RestartBackoff(2, 100, 1_000);
    backoff.failed(0);
    backoff.running(10);
    backoff.failed(20);
    backoff.running(30);
    assertThat(backoff.failed(40)).as("a client that flaps is not restarted forever").isEmpty();
  }
}
