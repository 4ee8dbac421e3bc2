package io.hindsight.replay;

import java.util.function.LongSupplier;

/**
 * Holds events back until they are due at the replay's {@link ReplaySpeed}: the first event is due
 * at once, each later one when the wall clock has advanced by its event-time distance from the
 * first divided by the speed. Events must come in event-time order. Not thread-safe.
 */
final class ReplayPacer {
  private final ReplaySpeed speed;
  private final LongSupplier nanoClock;
  private boolean started;
  private long firstEventMillis;
  private long startNanos;

  ReplayPacer(ReplaySpeed speed, LongSupplier nanoClock) {
    this.speed = speed;
    this.nanoClock = nanoClock;
  }

  /**
   * Nanoseconds to wait until an event of this time is due; 0 or less when it is due now. The first
   * call anchors the pace: that event is due at once.
   */
  long nanosUntilDue(long eventMillis) {
    if (speed.isMax()) {
      return 0;
    }
    long now = nanoClock.getAsLong();
    if (!started) {
      started = true;
      firstEventMillis = eventMillis;
      startNanos = now;
      return 0;
    }
    long offset = speed.dueOffsetNanos(firstEventMillis, eventMillis);
    long elapsed = now - startNanos;
    return offset - elapsed;
  }

  /**
   * Wall-clock nanoseconds the rest of the replay takes at this pace, from the current clock to the
   * moment the event at {@code lastEventMillis} is due; -1 at {@link ReplaySpeed#MAX} or before the
   * first event.
   */
  long remainingNanos(long lastEventMillis) {
    if (speed.isMax() || !started) {
      return -1;
    }
    long elapsed = nanoClock.getAsLong() - startNanos;
    return Math.max(0, speed.dueOffsetNanos(firstEventMillis, lastEventMillis) - elapsed);
  }
}
