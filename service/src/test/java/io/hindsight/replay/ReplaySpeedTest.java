package io.hindsight.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ReplaySpeedTest {

  @ParameterizedTest
  @CsvSource({
    // speed, first event ms, event ms, due after ns
    "1, 1000, 1000, 0",
    "1, 1000, 3500, 2500000000",
    "10, 0, 5000, 500000000",
    "60, 0, 3600000, 60000000000",
    "0.5, 0, 1000, 2000000000",
    "2, 5000, 4000, 0"
  })
  void shouldDivideEventTimeGapsBySpeed(double speed, long first, long event, long dueNanos) {
    assertThat(ReplaySpeed.times(speed).dueOffsetNanos(first, event)).isEqualTo(dueNanos);
  }

  @Test
  void shouldSendEverythingAtOnceAtMaxSpeed() {
    assertThat(ReplaySpeed.MAX.dueOffsetNanos(0, Long.MAX_VALUE / 2)).isZero();
    assertThat(ReplaySpeed.parse("max").isMax()).isTrue();
  }

  @Test
  void shouldSaturateInsteadOfOverflowingForHugeGapsAtSlowSpeeds() {
    assertThat(ReplaySpeed.times(0.001).dueOffsetNanos(0, Long.MAX_VALUE / 2))
        .isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void shouldParseNumbersWithOrWithoutTrailingX() {
    assertThat(ReplaySpeed.parse("60").factor()).isEqualTo(60.0);
    assertThat(ReplaySpeed.parse("2.5x").factor()).isEqualTo(2.5);
    assertThat(ReplaySpeed.parse(" MAX ")).isEqualTo(ReplaySpeed.MAX);
    assertThat(ReplaySpeed.parse("60")).hasToString("60x");
    assertThat(ReplaySpeed.parse("0.5")).hasToString("0.5x");
  }

  @ParameterizedTest
  @ValueSource(strings = {"0", "-1", "fast", "", "NaN", "Infinity", "x"})
  void shouldRejectSpeedsThatAreNotMaxOrPositive(String text) {
    assertThatThrownBy(() -> ReplaySpeed.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("max");
  }

  @Test
  void shouldPaceRelativeToTheFirstEventAndTheWallClockAtItsSend() {
    AtomicLong clock = new AtomicLong(TimeUnit.SECONDS.toNanos(100));
    ReplayPacer pacer = new ReplayPacer(ReplaySpeed.times(4), clock::get);

    assertThat(pacer.nanosUntilDue(10_000)).as("the first event is due at once").isZero();
    clock.addAndGet(TimeUnit.MILLISECONDS.toNanos(200));
    assertThat(pacer.nanosUntilDue(12_000))
        .as("2 s of event time at 4x is 500 ms after the start; 200 ms have passed")
        .isEqualTo(TimeUnit.MILLISECONDS.toNanos(300));
    assertThat(pacer.remainingNanos(18_000))
        .as("8 s of event time at 4x is 2 s; 200 ms have passed")
        .isEqualTo(TimeUnit.MILLISECONDS.toNanos(1800));
    clock.addAndGet(TimeUnit.SECONDS.toNanos(1));
    assertThat(pacer.nanosUntilDue(12_000)).as("late events are due at once").isNegative();
  }

  @Test
  void shouldNeverWaitAtMaxSpeed() {
    ReplayPacer pacer = new ReplayPacer(ReplaySpeed.MAX, () -> 0L);

    assertThat(pacer.nanosUntilDue(0)).isZero();
    assertThat(pacer.nanosUntilDue(1_000_000_000L)).isZero();
    assertThat(pacer.remainingNanos(2_000_000_000L)).isEqualTo(-1);
  }
}
