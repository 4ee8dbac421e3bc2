package io.hindsight.replay;

import java.util.Comparator;

/**
 * One validated event ready to produce, ordered by event time and then by its position in the log.
 *
 * @param timestamp event time, epoch milliseconds
 * @param sequence position in the log (its line number), which breaks ties so that the order is
 *     stable
 * @param type which topic it goes to
 * @param key record key, UTF-8
 * @param value record value: the event's JSON without its {@code type} field, UTF-8
 */
public record TimedEvent(
    long timestamp, long sequence, ReplayedType type, byte[] key, byte[] value) {

  /** Event time first, log position second: a stable sort by event time. */
  public static final Comparator<TimedEvent> EVENT_TIME_ORDER =
      Comparator.comparingLong(TimedEvent::timestamp).thenComparingLong(TimedEvent::sequence);

  /** A rough heap footprint, used to bound the in-memory sort buffer. */
  long estimatedBytes() {
    return 96L + key.length + value.length;
  }
}
