package io.hindsight.client;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link HindsightClient}'s meters on the caller's registry, or nothing ({@link #NONE}: no clock
 * read, nothing counted). Reads are timed per call and counted per item (a candidate, an
 * utterance), tagged {@code kind=compensate|rewrite}. Thread-safe.
 */
final class ClientMetrics {
  static final ClientMetrics NONE = new ClientMetrics();

  private final MeterRegistry registry;
  private final List<Meter> meters = new ArrayList<>();
  private final Timer compensateLatency;
  private final Timer rewriteLatency;
  private final Counter candidates;
  private final Counter utterances;

  private ClientMetrics() {
    this.registry = null;
    this.compensateLatency = null;
    this.rewriteLatency = null;
    this.candidates = null;
    this.utterances = null;
  }

  ClientMetrics(MeterRegistry registry, HindsightClient client) {
    this.registry = registry;
    meters.add(
        Gauge.builder("hindsight.client.lag", client, HindsightClient::lag)
            .description("Committed records of the replicated topics not yet applied")
            .baseUnit("records")
            .register(registry));
    meters.add(
        FunctionCounter.builder("hindsight.client.records.applied", client, c -> c.applied())
            .description("Records applied to the client's replicas")
            .baseUnit("records")
            .register(registry));
    meters.add(
        FunctionCounter.builder("hindsight.client.records.rejected", client, c -> c.rejected())
            .description("Records skipped because they could not be applied")
            .baseUnit("records")
            .register(registry));
    meters.add(
        Gauge.builder("hindsight.client.memory.samples", client, HindsightClient::samples)
            .description("Labelled samples held by the replicated error memories")
            .register(registry));
    meters.add(
        Gauge.builder("hindsight.client.ready", client, c -> c.isReady() ? 1 : 0)
            .description("1 once every record committed at start has been applied")
            .register(registry));
    this.compensateLatency = latency(registry, "compensate");
    this.rewriteLatency = latency(registry, "rewrite");
    this.candidates = reads(registry, "compensate", "Candidates compensated");
    this.utterances = reads(registry, "rewrite", "Utterances looked up for a rule");
    meters.add(compensateLatency);
    meters.add(rewriteLatency);
    meters.add(candidates);
    meters.add(utterances);
  }

  private static Timer latency(MeterRegistry registry, String kind) {
    return Timer.builder("hindsight.client.read.latency")
        .description("Time of one read call (a batch is one call)")
        .tag("kind", kind)
        .publishPercentileHistogram()
        .register(registry);
  }

  private static Counter reads(MeterRegistry registry, String kind, String description) {
    return Counter.builder("hindsight.client.reads")
        .description(description)
        .tag("kind", kind)
        .register(registry);
  }

  /** A read's start on the monotonic clock; 0 (no clock read) without a registry. */
  long start() {
    return registry == null ? 0 : System.nanoTime();
  }

  void compensated(int count, long start) {
    if (registry != null) {
      compensateLatency.record(
          System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
      candidates.increment(count);
    }
  }

  void rewritten(int count, long start) {
    if (registry != null) {
      rewriteLatency.record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
      utterances.increment(count);
    }
  }

  /** Takes the meters off the registry: a closed client reports nothing. */
  void remove() {
    if (registry != null) {
      meters.forEach(registry::remove);
    }
  }
}
