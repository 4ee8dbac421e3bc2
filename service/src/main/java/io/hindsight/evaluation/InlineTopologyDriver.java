package io.hindsight.evaluation;

import io.hindsight.RecordedTopology;
import java.io.File;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.TimestampExtractor;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.StoreBuilder;

/**
 * Runs a {@link RecordedTopology}'s own processors on the calling thread, one input record at a
 * time, over in-memory stores: deserialize, process depth-first along the described successors,
 * punctuate on stream time, then apply what was produced to global-store topics. That is the order
 * TopologyTestDriver gives, without its per-record commit, changelogs, caches, metrics and the
 * serialization of outputs nobody reads. Not thread-safe.
 *
 * <p>Design note. The wiring (successors, sink topics, stores per processor, global sources) is
 * {@link org.apache.kafka.streams.Topology#describe()}'s; processors, serdes and store builders are
 * the recorded ones, each processor with its own Kafka {@link MockProcessorContext} whose forwards
 * are routed here. Failures go to the configured deserialization and processing exception handlers
 * and their dead letters to the listeners of the dead-letter topic. Stream-time punctuations follow
 * StreamTask: aligned to 0, fired once with the current stream time, next at the following multiple
 * of the interval. Non-goals: one sub-topology and one partition only; no changelogs or
 * restoration; no sink may feed the task's own sources; the wall clock stands still, as
 * TopologyTestDriver's does, until {@link #advanceWallClock} moves it.
 */
final class InlineTopologyDriver implements AutoCloseable {
  private static final int PARTITION = 0;
  private static final TaskId TASK = new TaskId(0, PARTITION);

  /** Told of each record produced to a topic, as forwarded (unserialized). */
  @FunctionalInterface
  interface Listener {
    void accept(Record<?, ?> record);
  }

  private sealed interface Node permits ProcessorNode, SinkNode {}

  private record SinkNode(String topic, Serializer<Object> key, Serializer<Object> value)
      implements Node {}

  private record SourceNode(
      String name,
      Deserializer<?> key,
      Deserializer<?> value,
      TimestampExtractor timestamps,
      List<Node> children) {}

  private record GlobalSource(
      String name, Deserializer<?> key, Deserializer<?> value, ProcessorNode processor) {}

  private record Produced(
      String topic, byte[] key, byte[] value, long timestamp, Headers headers) {}

  /** The record being processed, as it was read: what the error handlers are told. */
  private record Input(String topic, long offset, byte[] key, byte[] value, long timestamp) {}

  private final class ProcessorNode implements Node {
    final String name;
    final NodeContext context;
    final Map<String, Node> children = new LinkedHashMap<>();
    Processor<Object, Object, Object, Object> processor;

    ProcessorNode(String name) {
      this.name = name;
      this.context = new NodeContext(this);
    }
  }

  /** Kafka's mock context, with forwards routed to the node's successors at once. */
  private final class NodeContext extends MockProcessorContext<Object, Object> {
    private final ProcessorNode node;

    NodeContext(ProcessorNode node) {
      super(properties, TASK, stateDir);
      this.node = node;
    }

    @Override
    public <K, V> void forward(Record<K, V> record) {
      for (Node child : node.children.values()) {
        deliver(child, record);
      }
    }

    @Override
    public <K, V> void forward(Record<K, V> record, String childName) {
      if (childName == null) {
        forward(record);
        return;
      }
      Node child = node.children.get(childName);
      if (child == null) {
        throw new StreamsException("Unknown downstream node: " + childName + " of " + node.name);
      }
      deliver(child, record);
    }
  }

  private final Properties properties;
  private final File stateDir;
  private final DeserializationExceptionHandler deserializationHandler;
  private final ProcessingExceptionHandler processingHandler;
  private final Map<String, SourceNode> sources = new HashMap<>();
  private final Map<String, GlobalSource> globalSources = new HashMap<>();
  private final List<ProcessorNode> taskNodes = new ArrayList<>();
  private final List<ProcessorNode> globalNodes = new ArrayList<>();
  private final List<StateStore> stores = new ArrayList<>();
  private final List<Schedule> schedules = new ArrayList<>();
  private final List<Schedule> wallClockSchedules = new ArrayList<>();
  private long wallClock;
  private final Map<String, Listener> inputListeners = new HashMap<>();
  private final Map<String, Listener> outputListeners = new HashMap<>();
  private final Map<String, long[]> offsets = new HashMap<>();
  private final ArrayDeque<Produced> producedToGlobal = new ArrayDeque<>();
  private long streamTime = -1;
  private Input input;
  private Lane globalLane;

  /** A stream-time punctuation and when it is next due. */
  private static final class Schedule {
    final ProcessorNode node;
    final MockProcessorContext.CapturedPunctuator punctuator;
    final long interval;
    long due; // StreamTask aligns stream-time punctuations to 0

    Schedule(ProcessorNode node, MockProcessorContext.CapturedPunctuator punctuator) {
      this.node = node;
      this.punctuator = punctuator;
      this.interval = punctuator.getInterval().toMillis();
    }
  }

  /**
   * @param streamsSettings the application's Streams settings (error handlers, application id)
   * @param stateDir where stores that keep files (the global stores) put them
   */
  InlineTopologyDriver(
      RecordedTopology topology, Map<String, Object> streamsSettings, File stateDir) {
    this.properties = new Properties();
    properties.putAll(streamsSettings);
    this.stateDir = stateDir;
    StreamsConfig config = new StreamsConfig(properties);
    this.deserializationHandler = config.deserializationExceptionHandler();
    this.processingHandler = config.processingExceptionHandler();

    TopologyDescription description = topology.describe();
    List<StateStore> globalStores = new ArrayList<>();
    for (TopologyDescription.GlobalStore global : description.globalStores()) {
      TopologyDescription.Processor described = global.processor();
      RecordedTopology.GlobalStore recorded = topology.globalStore(described.name());
      ProcessorNode node = new ProcessorNode(described.name());
      StateStore store = recorded.builder().build();
      store.init(node.context.getStateStoreContext(), store);
      stores.add(store);
      globalStores.add(store);
      node.context.addStateStore(store);
      node.processor = uncheckedProcessor(recorded.processor().get());
      globalNodes.add(node);
      for (String topic : global.source().topicSet()) {
        globalSources.put(
            topic,
            new GlobalSource(
                global.source().name(),
                recorded.keyDeserializer(),
                recorded.valueDeserializer(),
                node));
      }
    }
    if (description.subtopologies().size() != 1) {
      throw new IllegalArgumentException(
          "InlineTopologyDriver runs one sub-topology, not " + description.subtopologies().size());
    }
    TopologyDescription.Subtopology task = description.subtopologies().iterator().next();
    Map<String, ProcessorNode> processors = new LinkedHashMap<>();
    Map<String, SinkNode> sinks = new HashMap<>();
    for (TopologyDescription.Node described : task.nodes()) {
      if (described instanceof TopologyDescription.Processor) {
        processors.put(described.name(), new ProcessorNode(described.name()));
      } else if (described instanceof TopologyDescription.Sink sink) {
        if (sink.topic() == null) {
          throw new IllegalArgumentException("Sink " + sink.name() + " has no fixed topic");
        }
        RecordedTopology.Sink recorded = topology.sink(sink.name());
        sinks.put(
            sink.name(),
            new SinkNode(
                sink.topic(),
                uncheckedSerializer(recorded.keySerializer()),
                uncheckedSerializer(recorded.valueSerializer())));
      }
    }
    for (TopologyDescription.Node described : task.nodes()) {
      Map<String, Node> children = new LinkedHashMap<>();
      for (TopologyDescription.Node successor : described.successors()) {
        Node child = processors.get(successor.name());
        children.put(successor.name(), child != null ? child : sinks.get(successor.name()));
      }
      if (described instanceof TopologyDescription.Source source) {
        RecordedTopology.Source recorded = topology.source(source.name());
        SourceNode node =
            new SourceNode(
                source.name(),
                recorded.keyDeserializer(),
                recorded.valueDeserializer(),
                recorded.timestampExtractor(),
                List.copyOf(children.values()));
        for (String topic : source.topicSet()) {
          sources.put(topic, node);
        }
      } else if (described instanceof TopologyDescription.Processor) {
        processors.get(described.name()).children.putAll(children);
      }
    }
    for (SinkNode sink : sinks.values()) {
      if (sources.containsKey(sink.topic())) {
        throw new IllegalArgumentException(
            "Topic " + sink.topic() + " is both a sink and a source of the task");
      }
    }
    Map<String, StateStore> taskStores = new HashMap<>();
    for (TopologyDescription.Node described : task.nodes()) {
      if (described instanceof TopologyDescription.Processor processor) {
        ProcessorNode node = processors.get(processor.name());
        for (String name : processor.stores()) {
          node.context.addStateStore(
              taskStores.computeIfAbsent(name, n -> build(topology.store(n), node.context)));
        }
        globalStores.forEach(node.context::addStateStore);
      }
    }
    for (ProcessorNode global : globalNodes) {
      global.processor.init(global.context);
    }
    for (ProcessorNode node : processors.values()) {
      node.context.setCurrentSystemTimeMs(wallClock);
      node.processor = uncheckedProcessor(topology.processor(node.name).get());
      node.processor.init(node.context);
      for (MockProcessorContext.CapturedPunctuator punctuator :
          node.context.scheduledPunctuators()) {
        if (punctuator.getType() == PunctuationType.STREAM_TIME) {
          schedules.add(new Schedule(node, punctuator));
        } else {
          wallClockSchedules.add(new Schedule(node, punctuator));
        }
      }
      taskNodes.add(node);
    }
  }

  private StateStore build(StoreBuilder<?> builder, MockProcessorContext<?, ?> context) {
    // Nothing is restored, and every write is read back at once: no changelog, no cache.
    StateStore store = builder.withLoggingDisabled().withCachingDisabled().build();
    store.init(context.getStateStoreContext(), store);
    stores.add(store);
    return store;
  }

  /** Told of each input record of a topic once deserialized, before it is processed. */
  void onInput(String topic, Listener listener) {
    inputListeners.put(topic, listener);
  }

  /** Told of each record produced to a topic (sinks and dead letters alike). */
  void onOutput(String topic, Listener listener) {
    outputListeners.put(topic, listener);
  }

  /** Processes one record read from a source topic, with everything it causes. */
  void pipe(String topic, byte[] key, byte[] value, long timestamp) {
    SourceNode source = sources.get(topic);
    if (source == null) {
      throw new IllegalArgumentException("Unknown topic: " + topic);
    }
    input = new Input(topic, nextOffset(topic), key, value, timestamp);
    Headers headers = new RecordHeaders();
    Object k;
    Object v;
    try {
      k = source.key().deserialize(topic, headers, key);
      v = source.value().deserialize(topic, headers, value);
    } catch (RuntimeException e) {
      DeserializationExceptionHandler.Response response =
          deserializationHandler.handleError(
              handlerContext(input, source.name(), headers),
              consumerRecord(input, key, value, headers),
              e);
      deadLetters(input, response.deadLetterQueueRecords());
      if (response.result() == DeserializationExceptionHandler.Result.FAIL) {
        throw new StreamsException("Deserialization failed on " + topic, e);
      }
      applyProducedToGlobal();
      return;
    }
    long extracted = source.timestamps().extract(consumerRecord(input, k, v, headers), streamTime);
    if (extracted < 0) {
      return; // StreamTask drops records without a valid timestamp
    }
    streamTime = Math.max(streamTime, extracted);
    for (ProcessorNode node : taskNodes) {
      node.context.setRecordMetadata(topic, PARTITION, input.offset());
      node.context.setCurrentStreamTimeMs(streamTime);
    }
    Record<Object, Object> record = new Record<>(k, v, extracted, headers);
    Listener listener = inputListeners.get(topic);
    if (listener != null) {
      listener.accept(record);
    }
    for (Node child : source.children()) {
      deliver(child, record);
    }
    punctuateStreamTime();
    applyProducedToGlobal();
  }

  /**
   * Moves the wall clock on by {@code millis} (it stands still otherwise) and fires the wall-clock
   * punctuations due, once each as StreamTask does after a pause, then applies what they produced
   * to global-store topics.
   */
  void advanceWallClock(long millis) {
    wallClock += millis;
    for (ProcessorNode node : taskNodes) {
      node.context.setCurrentSystemTimeMs(wallClock);
    }
    for (Schedule schedule : wallClockSchedules) {
      if (punctuate(schedule, wallClock)) {
        schedule.due = wallClock + schedule.interval;
        applyProducedToGlobal();
      }
    }
  }

  /** Fires a punctuation if it is due at {@code time}; returns whether it was. */
  private boolean punctuate(Schedule schedule, long time) {
    if (schedule.due > time || schedule.punctuator.cancelled()) {
      return false;
    }
    schedule.node.context.setRecordMetadata(null, -1, -1);
    try {
      schedule.punctuator.getPunctuator().punctuate(time);
    } catch (RuntimeException e) {
      processingFailed(input, schedule.node, null, e);
    }
    return true;
  }

  private void punctuateStreamTime() {
    for (Schedule schedule : schedules) {
      if (!punctuate(schedule, streamTime)) {
        continue;
      }
      long next = schedule.due + schedule.interval;
      if (streamTime >= next) {
        next =
            schedule.due
                + ((streamTime - schedule.due) / schedule.interval + 1) * schedule.interval;
      }
      schedule.due = next;
    }
  }

  /**
   * Applies global-store records on {@code lane} from now on, in the order produced, instead of on
   * the calling thread: Streams' own split (a global thread beside the stream thread). A reader of
   * a global store must then read it through the same lane to see what it saw inline.
   */
  void applyGlobalsOn(Lane lane) {
    this.globalLane = lane;
  }

  /** Applies what was produced to global-store topics, as the global thread would. */
  private void applyProducedToGlobal() {
    while (!producedToGlobal.isEmpty()) {
      Produced produced = producedToGlobal.poll();
      Input record =
          new Input(
              produced.topic(),
              nextOffset(produced.topic()),
              produced.key(),
              produced.value(),
              produced.timestamp());
      if (globalLane == null) {
        input = record;
        applyToGlobal(produced, record);
      } else {
        globalLane.submit(() -> applyToGlobal(produced, record));
      }
    }
  }

  private void applyToGlobal(Produced produced, Input record) {
    GlobalSource global = globalSources.get(produced.topic());
    ProcessorNode node = global.processor();
    node.context.setRecordMetadata(produced.topic(), PARTITION, record.offset());
    Object k;
    Object v;
    try {
      k = global.key().deserialize(produced.topic(), produced.headers(), produced.key());
      v = global.value().deserialize(produced.topic(), produced.headers(), produced.value());
    } catch (RuntimeException e) {
      DeserializationExceptionHandler.Response response =
          deserializationHandler.handleError(
              handlerContext(record, global.name(), produced.headers()),
              consumerRecord(record, produced.key(), produced.value(), produced.headers()),
              e);
      deadLetters(record, response.deadLetterQueueRecords());
      if (response.result() == DeserializationExceptionHandler.Result.FAIL) {
        throw new StreamsException("Deserialization failed on " + produced.topic(), e);
      }
      return;
    }
    Record<Object, Object> value = new Record<>(k, v, produced.timestamp(), produced.headers());
    try {
      node.processor.process(value);
    } catch (RuntimeException e) {
      processingFailed(record, node, value, e);
    }
  }

  private void deliver(Node child, Record<?, ?> record) {
    if (child instanceof ProcessorNode node) {
      process(node, record);
    } else {
      produce((SinkNode) child, record);
    }
  }

  @SuppressWarnings("unchecked")
  private void process(ProcessorNode node, Record<?, ?> record) {
    try {
      node.processor.process((Record<Object, Object>) record);
    } catch (RuntimeException e) {
      processingFailed(input, node, record, e);
    }
  }

  private void processingFailed(
      Input in, ProcessorNode node, Record<?, ?> record, RuntimeException e) {
    if (e instanceof StreamsException) {
      throw e;
    }
    Headers headers = record == null ? new RecordHeaders() : record.headers();
    ProcessingExceptionHandler.Response response =
        processingHandler.handleError(handlerContext(in, node.name, headers), record, e);
    deadLetters(in, response.deadLetterQueueRecords());
    if (response.result() == ProcessingExceptionHandler.Result.FAIL) {
      throw new StreamsException("Processing failed in " + node.name, e);
    }
  }

  private void produce(SinkNode sink, Record<?, ?> record) {
    String topic = sink.topic();
    if (globalSources.containsKey(topic)) {
      producedToGlobal.add(
          new Produced(
              topic,
              sink.key().serialize(topic, record.headers(), record.key()),
              sink.value().serialize(topic, record.headers(), record.value()),
              record.timestamp(),
              record.headers()));
    }
    Listener listener = outputListeners.get(topic);
    if (listener != null) {
      listener.accept(record);
    }
  }

  private void deadLetters(Input in, List<ProducerRecord<byte[], byte[]>> records) {
    for (ProducerRecord<byte[], byte[]> record : records) {
      Listener listener = outputListeners.get(record.topic());
      if (listener != null) {
        long timestamp = record.timestamp() == null ? in.timestamp() : record.timestamp();
        listener.accept(new Record<>(record.key(), record.value(), timestamp, record.headers()));
      }
    }
  }

  private long nextOffset(String topic) {
    return offsets.computeIfAbsent(topic, t -> new long[1])[0]++;
  }

  private static <K, V> ConsumerRecord<K, V> consumerRecord(
      Input in, K key, V value, Headers headers) {
    return new ConsumerRecord<>(
        in.topic(),
        PARTITION,
        in.offset(),
        in.timestamp(),
        TimestampType.CREATE_TIME,
        in.key() == null ? ConsumerRecord.NULL_SIZE : in.key().length,
        in.value() == null ? ConsumerRecord.NULL_SIZE : in.value().length,
        key,
        value,
        headers,
        Optional.empty());
  }

  private static ErrorHandlerContext handlerContext(Input in, String nodeName, Headers headers) {
    return new HandlerContext(
        in.topic(),
        PARTITION,
        in.offset(),
        headers,
        nodeName,
        TASK,
        in.timestamp(),
        in.key(),
        in.value());
  }

  private record HandlerContext(
      String topic,
      int partition,
      long offset,
      Headers headers,
      String processorNodeId,
      TaskId taskId,
      long timestamp,
      byte[] sourceRawKey,
      byte[] sourceRawValue)
      implements ErrorHandlerContext {}

  @SuppressWarnings("unchecked")
  private static Processor<Object, Object, Object, Object> uncheckedProcessor(
      Processor<?, ?, ?, ?> processor) {
    return (Processor<Object, Object, Object, Object>) processor;
  }

  @SuppressWarnings("unchecked")
  private static Serializer<Object> uncheckedSerializer(Serializer<?> serializer) {
    return (Serializer<Object>) serializer;
  }

  /** Closes the processors, then the stores, as a task does. */
  @Override
  public void close() {
    for (ProcessorNode node : taskNodes) {
      node.processor.close();
    }
    for (ProcessorNode node : globalNodes) {
      node.processor.close();
    }
    for (StateStore store : stores) {
      store.close();
    }
  }
}
