package io.hindsight.compensation;

import io.hindsight.GlobalStoreBuilder;
import io.hindsight.RecordedTopology;
import io.hindsight.config.Topics;
import io.hindsight.events.EventTimeExtractor;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.AutoOffsetReset;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.Stores;

/**
 * Loop A as a topology: predictions and outcomes (co-partitioned by requestId) meet in one
 * processor's attribution buffer; each prediction is compensated from the local replica of the
 * error memory and published to {@code compensations}; each closed window publishes one labelled
 * sample to {@code labelled-samples}, with the task's progress after it, which every instance
 * applies to its own replica (a global store).
 */
public final class CompensationTopology {
  static final String COMPENSATIONS_SINK = "compensations-sink";
  static final String SAMPLES_SINK = "labelled-samples-sink";
  static final String DEAD_LETTERS_SINK = "dead-letters-sink";
  static final String COMPENSATE = "compensate";

  /** Header of a labelled sample published before its prediction was scored. */
  static final String FEATURES_PENDING = SampleHeaders.FEATURES_PENDING;

  private CompensationTopology() {}

  /**
   * @param memory supplies the global store; called once per Kafka Streams instance
   * @param stores supplies the key-value stores (RocksDB or in-memory) by name
   * @param lag tells the processors whether an input partition has records still unread
   * @param tasks how many partitions the joined inputs have (0 when unknown), read when a task
   *     starts
   */
  public static RecordedTopology build(
      Topics topics,
      CompensationSettings settings,
      MeterRegistry registry,
      java.util.function.Supplier<ErrorMemoryStore> memory,
      java.util.function.Function<String, KeyValueBytesStoreSupplier> stores,
      InputLag lag,
      java.util.function.IntSupplier tasks) {
    CompensationMetrics metrics = new CompensationMetrics(registry);
    EventTimeExtractor eventTime = new EventTimeExtractor();
    RecordedTopology topology = new RecordedTopology();
    topology.addSource(
        AutoOffsetReset.earliest(),
        "predictions-source",
        eventTime,
        topics.predictions().keySerde().deserializer(),
        topics.predictions().valueSerde().deserializer(),
        topics.predictions().name());
    topology.addSource(
        AutoOffsetReset.earliest(),
        "outcomes-source",
        eventTime,
        topics.outcomes().keySerde().deserializer(),
        topics.outcomes().valueSerde().deserializer(),
        topics.outcomes().name());
    topology.addProcessor(
        COMPENSATE,
        () ->
            new CompensationProcessor(
                settings,
                metrics,
                topics.predictions().name(),
                topics.outcomes().name(),
                lag,
                tasks.getAsInt()),
        "predictions-source",
        "outcomes-source");
    topology.addStateStore(
        Stores.keyValueStoreBuilder(
                stores.apply(AttributionBuffer.PENDING_STORE), Serdes.String(), Serdes.ByteArray())
            .withCachingEnabled(),
        COMPENSATE);
    topology.addStateStore(
        Stores.keyValueStoreBuilder(
                stores.apply(AttributionBuffer.INDEX_STORE), Serdes.Bytes(), Serdes.ByteArray())
            .withLoggingDisabled(),
        COMPENSATE);
    topology.addStateStore(
        Stores.keyValueStoreBuilder(
            stores.apply(CompensationProcessor.DIMENSIONS_STORE),
            Serdes.String(),
            Serdes.Integer()),
        COMPENSATE);
    topology.addStateStore(
        Stores.keyValueStoreBuilder(
            stores.apply(CompensationProcessor.STREAM_SHOWN_STORE), Serdes.String(), Serdes.Long()),
        COMPENSATE);
    topology.addStateStore(
        Stores.keyValueStoreBuilder(
                stores.apply(CompensationProcessor.DEFERRED_STORE),
                Serdes.Bytes(),
                Serdes.ByteArray())
            .withCachingEnabled(),
        COMPENSATE);
    topology.addSink(
        COMPENSATIONS_SINK,
        topics.compensations().name(),
        topics.compensations().keySerde().serializer(),
        topics.compensations().valueSerde().serializer(),
        COMPENSATE);
    topology.addSink(
        SAMPLES_SINK,
        topics.labelledSamples().name(),
        Serdes.ByteArray().serializer(),
        Serdes.ByteArray().serializer(),
        COMPENSATE);
    // Outcomes kept for their prediction and then rejected leave from a punctuation, where the
    // dead-letter handler cannot see them.
    topology.addSink(
        DEAD_LETTERS_SINK,
        topics.deadLetters().name(),
        Serdes.ByteArray().serializer(),
        Serdes.ByteArray().serializer(),
        COMPENSATE);
    topology.addGlobalStore(
        new GlobalStoreBuilder<>(ErrorMemoryStore.NAME, memory),
        "labelled-samples-source",
        Serdes.ByteArray().deserializer(),
        Serdes.ByteArray().deserializer(),
        topics.labelledSamples().name(),
        "apply-labelled-samples",
        MemoryWriter::new);
    return topology;
  }

  /** Samples of all versions of a model share a key, hence a partition and an order. */
  static Record<Object, Object> sampleRecord(Sample sample, long timestamp, boolean pending) {
    Record<Object, Object> record =
        new Record<>(sample.modelId().getBytes(StandardCharsets.UTF_8), sample.encode(), timestamp);
    if (pending) {
      record.headers().add(FEATURES_PENDING, new byte[0]);
    }
    return record;
  }
}
