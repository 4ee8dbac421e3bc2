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
  final Counter guardFallbacks;
  final Counter deferred;
  final Timer alignmentWait;
  final Counter alignmentTimeouts;
  private final MeterRegistry registry;
  private final java.util.Set<String> trackedModels =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

  CompensationMetrics(MeterRegistry registry) {
    this.registry = registry;
    guardFallbacks =
        Counter.builder("hindsight.compensation.guard.fallbacks")
            .description(
                "Compensations for which the guard held the blend back towards the base score"
                    + " (its recent logloss was worse than the base model's)")
            .register(registry);
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
    deferred =
        Counter.builder("hindsight.compensation.deferred")
            .description(
                "Predictions compensated later than read, because the memory replica had not yet"
                    + " received every task's samples from before them")
            .register(registry);
    alignmentWait =
        Timer.builder("hindsight.compensation.alignment.wait")
            .description("Wall-clock time a deferred prediction waited for the replica")
            .publishPercentiles(0.5, 0.99)
            .register(registry);
    alignmentTimeouts =
        Counter.builder("hindsight.compensation.alignment.timeouts")
            .description(
                "Deferred predictions compensated after compensation.alignment.max.wait.ms"
                    + " without the replica holding every task's samples before them")
            .register(registry);
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

  /**
   * Registers, once per model version, the gauge {@code hindsight.compensation.guard.trust} (tags
   * {@code model}, {@code version}): the guard's trust in the blend, 1 for full trust, 0 when the
   * base score is served.
   */
  void trackTrust(String modelId, String modelVersion, ErrorMemoryStore store) {
    if (trackedModels.add(Sample.memoryName(modelId, modelVersion))) {
      io.micrometer.core.instrument.Gauge.builder(
              "hindsight.compensation.guard.trust",
              store,
              s -> s.isOpen() ? s.trust(modelId, modelVersion) : Double.NaN)
          .description("The guard's trust in the learned blend of a model version")
          .tag("model", modelId)
          .tag("version", modelVersion)
          .register(registry);
      io.micrometer.core.instrument.Gauge.builder(
              "hindsight.compensation.write.eager",
              store,
              s -> s.writeMode(modelId, modelVersion) == WriteMode.EAGER ? 1.0 : 0.0)
          .description(
              "1 when a model version's samples are written as their outcomes arrive, 0 when on"
                  + " close (compensation.write.mode; auto decides from the stream)")
          .tag("model", modelId)
          .tag("version", modelVersion)
          .register(registry);
    }
  }
}
