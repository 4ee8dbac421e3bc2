package io.hindsight.rewrite;

import io.hindsight.GlobalStoreBuilder;
import io.hindsight.RecordedTopology;
import io.hindsight.config.Topics;
import io.hindsight.events.EventTimeExtractor;
import java.util.function.Supplier;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.AutoOffsetReset;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.Stores;

/**
 * Loop B as a topology: interactions (keyed by user) are sessionized per partition; finished
 * sessions become chains and treatments on the single-partition reformulations log; every instance
 * replays that log into its {@link RewriteReplica}; partition 0's task publishes the replica's rule
 * changes to the compacted rewrites topic.
 */
public final class RewriteTopology {
  static final String REFORMULATIONS_SINK = "reformulations-sink";
  static final String REWRITES_SINK = "rewrites-sink";

  private RewriteTopology() {}

  public static RecordedTopology build(
      Topics topics,
      RewriteLoopSettings settings,
      Supplier<RewriteReplica> replica,
      java.util.function.Function<String, KeyValueBytesStoreSupplier> stores) {
    RecordedTopology topology = new RecordedTopology();
    topology.addSource(
        AutoOffsetReset.earliest(),
        "interactions-source",
        new EventTimeExtractor(),
        topics.interactions().keySerde().deserializer(),
        topics.interactions().valueSerde().deserializer(),
        topics.interactions().name());
    topology.addProcessor(
        "sessionize-interactions", () -> new SessionProcessor(settings), "interactions-source");
    topology.addStateStore(
        Stores.keyValueStoreBuilder(
            stores.apply(SessionProcessor.SESSIONS_STORE), Serdes.String(), Serdes.ByteArray()),
        "sessionize-interactions");
    topology.addStateStore(
        Stores.keyValueStoreBuilder(
            stores.apply(SessionProcessor.PUBLISHED_STORE), Serdes.String(), Serdes.Long()),
        "sessionize-interactions");
    topology.addSink(
        REFORMULATIONS_SINK,
        topics.reformulations().name(),
        Serdes.ByteArray().serializer(),
        Serdes.ByteArray().serializer(),
        "sessionize-interactions");
    topology.addSink(
        REWRITES_SINK,
        topics.rewrites().name(),
        topics.rewrites().keySerde().serializer(),
        topics.rewrites().valueSerde().serializer(),
        "sessionize-interactions");
    topology.addGlobalStore(
        new GlobalStoreBuilder<>(RewriteReplica.NAME, replica),
        "reformulations-source",
        Serdes.ByteArray().deserializer(),
        Serdes.ByteArray().deserializer(),
        topics.reformulations().name(),
        "apply-reformulations",
        ReplicaWriter::new);
    return topology;
  }
}
