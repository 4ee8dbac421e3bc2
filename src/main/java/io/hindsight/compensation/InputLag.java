package io.hindsight.compensation;

import java.util.Map;
import java.util.OptionalLong;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.KafkaStreams;

/**
 * How many records of an input partition are still unread, as its consumer last heard from the
 * broker: what tells an input that is silent from one that is only behind. Thread-safe.
 */
@FunctionalInterface
public interface InputLag {
  /** Nothing is ever unread: the evaluation driver and tests, which read their whole input. */
  InputLag NONE = (topic, partition) -> OptionalLong.of(0);

  /** Records not yet read from the partition; empty while its consumer does not know. */
  OptionalLong unread(String topic, int partition);

  /**
   * The lag Kafka Streams' consumers report ({@code records-lag}). A partition that never returned
   * a record has no such metric: nothing of it was ever there to read, so it counts as read.
   */
  static InputLag of(KafkaStreams streams) {
    return (topic, partition) -> {
      boolean seen = false;
      OptionalLong lag = OptionalLong.empty();
      String wanted = Integer.toString(partition);
      // The consumer's partition metrics spell a topic's dots as underscores.
      String tagged = topic.replace('.', '_');
      for (Map.Entry<MetricName, ? extends Metric> entry : streams.metrics().entrySet()) {
        MetricName name = entry.getKey();
        if (name.name().equals("records-lag")
            && name.group().equals("consumer-fetch-manager-metrics")
            && (topic.equals(name.tags().get("topic")) || tagged.equals(name.tags().get("topic")))
            && wanted.equals(name.tags().get("partition"))) {
          seen = true;
          Object value = entry.getValue().metricValue();
          if (value instanceof Double d && !d.isNaN()) {
            lag = OptionalLong.of(Math.max(lag.orElse(0), d.longValue()));
          }
        }
      }
      return seen ? lag : OptionalLong.of(0);
    };
  }
}
