package io.hindsight.evaluation;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits an event-time-ordered stream of known length into {@code slots} consecutive slots of equal
 * event count (sizes differ by at most one), so metrics can be reported per period of a replay, as
 * in the ReLoop2 paper's per-slot figures. Immutable and thread-safe.
 */
public final class ChronologicalSlotter {

  private final int slots;
  private final long total;

  /**
   * @param slots number of slots, at least 1
   * @param total number of events in the ordered stream, at least 0
   */
  public ChronologicalSlotter(int slots, long total) {
    if (slots < 1) {
      throw new IllegalArgumentException("slots must be at least 1, got " + slots);
    }
    if (total < 0) {
      throw new IllegalArgumentException("total must not be negative, got " + total);
    }
    this.slots = slots;
    this.total = total;
  }

  /** Number of slots. */
  public int slots() {
    return slots;
  }

  /** The slot (0-based) of the event at {@code index} (0-based position in the ordered stream). */
  public int slotOf(long index) {
    if (index < 0 || index >= total) {
      throw new IndexOutOfBoundsException("index " + index + " outside [0, " + total + ")");
    }
    // Exact in long arithmetic for any stream shorter than 2^63 / slots events.
    return (int) (index * slots / total);
  }

  /** Splits an ordered list into its slots (views of the list, in order). */
  public static <T> List<List<T>> split(List<T> ordered, int slots) {
    ChronologicalSlotter slotter = new ChronologicalSlotter(slots, ordered.size());
    List<List<T>> result = new ArrayList<>(slots);
    int from = 0;
    for (int s = 0; s < slots; s++) {
      int to = from;
      while (to < ordered.size() && slotter.slotOf(to) == s) {
        to++;
      }
      result.add(ordered.subList(from, to));
      from = to;
    }
    return result;
  }
}
