package io.hindsight;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.TimestampExtractor;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.state.StoreBuilder;

/**
 * A {@link Topology} that also keeps the parts it was built from (processor suppliers, serdes,
 * store builders), so that an evaluation can run the same processors without Kafka Streams' task
 * machinery. It records only the overloads Hindsight's topologies use; the wiring stays {@link
 * #describe()}'s, and a reader of the parts checks every described node was recorded.
 */
public final class RecordedTopology extends Topology {

  public record Source(
      TimestampExtractor timestampExtractor,
      Deserializer<?> keyDeserializer,
      Deserializer<?> valueDeserializer) {}

  public record Sink(Serializer<?> keySerializer, Serializer<?> valueSerializer) {}

  /** A global store with the deserializers of its source topic and the processor that fills it. */
  public record GlobalStore(
      StoreBuilder<?> builder,
      Deserializer<?> keyDeserializer,
      Deserializer<?> valueDeserializer,
      ProcessorSupplier<?, ?, Void, Void> processor) {}

  private final Map<String, Source> sources = new LinkedHashMap<>();
  private final Map<String, ProcessorSupplier<?, ?, ?, ?>> processors = new LinkedHashMap<>();
  private final Map<String, Sink> sinks = new LinkedHashMap<>();
  private final Map<String, StoreBuilder<?>> stores = new LinkedHashMap<>();
  private final Map<String, GlobalStore> globalStores = new LinkedHashMap<>();

  @Override
  public synchronized <K, V> Topology addSource(
      // Qualified: inside a Topology the simple name is the deprecated Topology.AutoOffsetReset.
      org.apache.kafka.streams.AutoOffsetReset offsetReset,
      String name,
      TimestampExtractor timestampExtractor,
      Deserializer<K> keyDeserializer,
      Deserializer<V> valueDeserializer,
      String... topics) {
    super.addSource(
        offsetReset, name, timestampExtractor, keyDeserializer, valueDeserializer, topics);
    sources.put(name, new Source(timestampExtractor, keyDeserializer, valueDeserializer));
    return this;
  }

  @Override
  public synchronized <KIn, VIn, KOut, VOut> Topology addProcessor(
      String name, ProcessorSupplier<KIn, VIn, KOut, VOut> supplier, String... parentNames) {
    super.addProcessor(name, supplier, parentNames);
    processors.put(name, supplier);
    return this;
  }

  @Override
  public synchronized <K, V> Topology addSink(
      String name,
      String topic,
      Serializer<K> keySerializer,
      Serializer<V> valueSerializer,
      String... parentNames) {
    super.addSink(name, topic, keySerializer, valueSerializer, parentNames);
    sinks.put(name, new Sink(keySerializer, valueSerializer));
    return this;
  }

  @Override
  public synchronized <S extends StateStore> Topology addStateStore(
      StoreBuilder<S> storeBuilder, String... processorNames) {
    super.addStateStore(storeBuilder, processorNames);
    stores.put(storeBuilder.name(), storeBuilder);
    return this;
  }

  @Override
  public synchronized <K, V, S extends StateStore> Topology addGlobalStore(
      StoreBuilder<S> storeBuilder,
      String sourceName,
      Deserializer<K> keyDeserializer,
      Deserializer<V> valueDeserializer,
      String topic,
      String processorName,
      ProcessorSupplier<K, V, Void, Void> stateUpdateSupplier) {
    super.addGlobalStore(
        storeBuilder,
        sourceName,
        keyDeserializer,
        valueDeserializer,
        topic,
        processorName,
        stateUpdateSupplier);
    globalStores.put(
        processorName,
        new GlobalStore(storeBuilder, keyDeserializer, valueDeserializer, stateUpdateSupplier));
    return this;
  }

  /** The source node of this name, as recorded; fails if it was added by another overload. */
  public Source source(String name) {
    return recorded(sources, name, "source");
  }

  public ProcessorSupplier<?, ?, ?, ?> processor(String name) {
    return recorded(processors, name, "processor");
  }

  public Sink sink(String name) {
    return recorded(sinks, name, "sink");
  }

  public StoreBuilder<?> store(String name) {
    return recorded(stores, name, "state store");
  }

  /** The global store filled by the processor of this name. */
  public GlobalStore globalStore(String processorName) {
    return recorded(globalStores, processorName, "global store processor");
  }

  private static <T> T recorded(Map<String, T> parts, String name, String kind) {
    T part = parts.get(name);
    if (part == null) {
      throw new IllegalStateException(
          kind + " " + name + " was added through an overload RecordedTopology does not record");
    }
    return part;
  }
}
