package io.hindsight.evaluation;

import java.util.ArrayList;
import java.util.List;

/**
 * Per-slot and overall metrics of an event-time-ordered stream of known length: samples are added
 * in stream order and land in the {@link ChronologicalSlotter} slot of their position. Not
 * thread-safe.
 */
public final class SlottedMetrics {

  private final ChronologicalSlotter slotter;
  private final List<MetricsAccumulator> perSlot = new ArrayList<>();
  private final MetricsAccumulator overall = new MetricsAccumulator();
  private long next;

  /**
   * @param slots number of chronological slots
   * @param total number of samples that will be added
   */
  public SlottedMetrics(int slots, long total) {
    this.slotter = new ChronologicalSlotter(slots, total);
    for (int s = 0; s < slots; s++) {
      perSlot.add(new MetricsAccumulator());
    }
  }

  /**
   * Adds the next sample of the stream.
   *
   * @throws IndexOutOfBoundsException if more samples are added than declared
   */
  public void add(Object group, double label, double score) {
    int slot = slotter.slotOf(next);
    perSlot.get(slot).add(group, label, score);
    overall.add(group, label, score);
    next++;
  }

  /** One report per slot, in chronological order. */
  public List<MetricsReport> slotReports() {
    List<MetricsReport> reports = new ArrayList<>(perSlot.size());
    for (MetricsAccumulator accumulator : perSlot) {
      reports.add(accumulator.report());
    }
    return reports;
  }

  /** The report over every sample added. */
  public MetricsReport overallReport() {
    return overall.report();
  }
}
