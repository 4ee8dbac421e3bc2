package io.hindsight.recovery;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The counter of local state discarded and rebuilt from Kafka, {@code
 * hindsight.state.rebuilds{store,reason}}: each count is state a person would otherwise have had to
 * delete by hand.
 */
public final class StateRebuilds {
  public static final String METRIC = "hindsight.state.rebuilds";

  /** The state directory was read from another Kafka cluster. */
  public static final String OTHER_CLUSTER = "other-cluster";

  /**
   * A store had read to offsets the cluster no longer has (beyond the log end or before its start).
   */
  public static final String LOST_OFFSETS = "lost-offsets";

  /** A replica's own files showed it cannot be trusted (e.g. killed mid-write). */
  public static final String UNTRUSTED_REPLICA = "untrusted-replica";

  /** The store tag when a whole state directory was rebuilt. */
  public static final String ALL_STORES = "all";

  private StateRebuilds() {}

  public static void count(MeterRegistry registry, String store, String reason) {
    Counter.builder(METRIC)
        .description("Local state discarded and rebuilt from what the Kafka topics hold")
        .tag("store", store)
        .tag("reason", reason)
        .register(registry)
        .increment();
  }
}
