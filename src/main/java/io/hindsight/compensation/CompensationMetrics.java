package io.hindsight.compensation;

import io.hindsight.errors.DeadLetterHandler;
import io.hindsight.events.RejectionReason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/** Hindsight's own compensation meters, registered once. */
final class CompensationMetrics {
  final Timer latency;
  final DistributionSummary evidence;
  final Counter compensations;
  final Counter samplesPublished;
  final Counter implicitNegatives;
  final Counter unlabelledDropped;
  private final MeterRegistry registry;

  CompensationMetrics(MeterRegistry registry) {
    this.registry = registry;
    latency =
        Timer.builder("hindsight.compensation.latency")
            .description("Time to compensate one prediction (memory read and publish)")
            .publishPercentiles(0.5, 0.99)
            .register(registry);
    evidence =
        DistributionSummary.builder("hindsight.compensation.evidence")
            .description("Memory cells that contributed to a compensation")
            .register(registry);
    compensations = Counter.builder("hindsight.compensation.records").register(registry);
    samplesPublished =
        Counter.builder("hindsight.compensation.samples.published")
            .description("Labelled samples published to the memory")
            .register(registry);
    implicitNegatives =
        Counter.builder("hindsight.compensation.implicit.negatives")
            .description("Predictions whose window closed without an outcome, written as label 0")
            .register(registry);
    unlabelledDropped =
        Counter.builder("hindsight.compensation.unlabelled.dropped")
            .description(
                "Predictions closed without outcome and not written (implicit negatives off)")
            .register(registry);
  }

  /** Counts a record sent to the dead-letter topic by the topology itself. */
  void deadLetter(RejectionReason reason, String sourceTopic) {
    DeadLetterHandler.counter(registry, reason, sourceTopic).increment();
  }
}
