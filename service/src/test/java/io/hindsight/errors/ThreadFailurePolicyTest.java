package io.hindsight.errors;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.junit.jupiter.api.Test;

class ThreadFailurePolicyTest {
  private final ThreadFailurePolicy policy = new ThreadFailurePolicy();

  @Test
  void shouldReplaceADeadStreamThread() {
    assertThat(
            policy.respond(
                "hindsight-compensation-7f3c-StreamThread-1", new IllegalStateException("boom")))
        .isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
  }

  @Test
  void shouldShutTheClientDownWhenTheGlobalThreadDiesBecauseItCannotBeReplaced() {
    assertThat(
            policy.respond(
                "hindsight-compensation-7f3c-GlobalStreamThread",
                new IllegalStateException("boom")))
        .isEqualTo(StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
  }

  @Test
  void shouldTellTheGlobalThreadByTheThreadItIsCalledOn() throws Exception {
    AtomicReference<StreamThreadExceptionResponse> response = new AtomicReference<>();
    Thread global =
        new Thread(
            () -> response.set(policy.handle(new IllegalStateException("boom"))),
            "app-client-GlobalStreamThread");
    global.start();
    global.join();
    assertThat(response.get()).isEqualTo(StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
  }
}
