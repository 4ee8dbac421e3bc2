package io.hindsight.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ChronologicalSlotterTest {

  @Test
  void shouldSplitIntoConsecutiveSlotsWhoseSizesDifferByAtMostOne() {
    List<Integer> events = IntStream.range(0, 10).boxed().collect(Collectors.toList());

    List<List<Integer>> slots = ChronologicalSlotter.split(events, 3);

    assertThat(slots).hasSize(3);
    assertThat(slots.stream().mapToInt(List::size)).containsExactly(4, 3, 3);
    assertThat(slots.stream().flatMap(List::stream)).containsExactlyElementsOf(events);
  }

  @Test
  void shouldLeaveEmptySlotsWhenThereAreFewerEventsThanSlots() {
    List<List<Integer>> slots = ChronologicalSlotter.split(List.of(1, 2), 4);
    assertThat(slots.stream().mapToInt(List::size).sum()).isEqualTo(2);
    assertThat(slots).hasSize(4);
  }

  @Test
  void shouldRejectIndicesOutsideTheStream() {
    ChronologicalSlotter slotter = new ChronologicalSlotter(2, 4);
    assertThat(slotter.slotOf(1)).isZero();
    assertThat(slotter.slotOf(2)).isOne();
    assertThatThrownBy(() -> slotter.slotOf(4)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> new ChronologicalSlotter(0, 4))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void shouldReportMetricsPerSlotAndOverall() {
    SlottedMetrics metrics = new SlottedMetrics(2, 4);
    metrics.add("u", 0, 0.1);
    metrics.add("u", 1, 0.9);
    metrics.add("u", 0, 0.9);
    metrics.add("u", 1, 0.1);

    assertThat(metrics.slotReports()).extracting(MetricsReport::auc).containsExactly(1.0, 0.0);
    assertThat(metrics.overallReport().auc()).isEqualTo(0.5);
    assertThatThrownBy(() -> metrics.add("u", 1, 0.5))
        .isInstanceOf(IndexOutOfBoundsException.class);
  }
}
