package io.hindsight;

import io.hindsight.http.OperationsServer;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import org.apache.kafka.streams.Topology;

/** One deployed topology: its name, how to build it, and what it adds to the operations port. */
public interface StreamsApp extends AutoCloseable {

  /** Kebab-case name; the Streams application id is {@code application.id + "-" + name}. */
  String name();

  /** A new topology; called for each Kafka Streams client (a restarted client gets its own). */
  Topology topology();

  /**
   * Runs before each Kafka Streams client of this app starts (the first and every restart): the
   * place for local-state recovery decisions.
   */
  default void beforeStart(String stateDirectory, String applicationId) {}

  /** Extra Streams settings this topology needs. */
  default Map<String, Object> streamsSettings() {
    return Map.of();
  }

  default void bind(MeterRegistry registry, OperationsServer server) {}

  /** Called once the topics exist, with the partitions of the joined predictions and outcomes. */
  default void provisioned(int inputPartitions) {}

  /** Called with the Kafka Streams client that runs this topology, before it starts. */
  default void running(org.apache.kafka.streams.KafkaStreams streams) {}

  /** One line for the console summary. */
  default String summary() {
    return "";
  }

  @Override
  default void close() {}
}
