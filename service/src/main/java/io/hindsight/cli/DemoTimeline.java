package io.hindsight.cli;

/**
 * The demo's clock. The world moves {@link #SPEED} times faster than the wall clock (ten minutes of
 * event time per second), so the default attribution window and half-lives pass within a few
 * seconds of demo; the summary's slots are {@link #SLOT_MILLIS} of wall clock; the taste shift
 * happens at the start of the slot a third of the way in. Immutable.
 */
final class DemoTimeline {
  static final long SPEED = 600;
  static final long SLOT_MILLIS = 5_000;

  private final long start;
  private final int slots;
  private final int shiftSlot;

  /**
   * @param start event time of the demo's first moment
   * @param seconds the demo's duration
   */
  DemoTimeline(long start, int seconds) {
    this.start = start;
    this.slots = (int) Math.max(1, (seconds * 1000L + SLOT_MILLIS - 1) / SLOT_MILLIS);
    this.shiftSlot = Math.max(1, slots / 3);
  }

  /** A timeline that ends now, so no event is stamped in the future. */
  static DemoTimeline endingNow(int seconds) {
    return new DemoTimeline(System.currentTimeMillis() - (seconds + 1) * 1000L * SPEED, seconds);
  }

  long eventTime(long wallMillis) {
    return start + wallMillis * SPEED;
  }

  long shiftAt() {
    return eventTime(shiftSlot * SLOT_MILLIS);
  }

  long shiftWallMillis() {
    return shiftSlot * SLOT_MILLIS;
  }

  int slots() {
    return slots;
  }

  /** The slot a prediction at this event time belongs to. */
  int slotOf(long eventTime) {
    long slot = Math.floorDiv(eventTime - start, SLOT_MILLIS * SPEED);
    return (int) Math.max(0, Math.min(slots - 1, slot));
  }

  boolean slotStartsAfterShift(int slot) {
    return slot >= shiftSlot;
  }

  /** {@code m:ss} of demo time. */
  static String clock(long wallMillis) {
    long seconds = wallMillis / 1000;
    return String.format("%d:%02d", seconds / 60, seconds % 60);
  }
}
