package io.hindsight.compensation;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How many records of an input partition are still unread: what tells an input that is silent from
 * one that is only behind. Thread-safe.
 */
@FunctionalInterface
public interface InputLag {
  /** Nothing is ever unread: the evaluation driver and tests, which read their whole input. */
  InputLag NONE = (topic, partition) -> OptionalLong.of(0);

  /** Records not yet read from the partition; empty while that is not known. */
  OptionalLong unread(String topic, int partition);

  /**
   * The lag Kafka Streams' consumers report ({@code records-lag}) when it shows records unread. A
   * lag of 0 is only as fresh as the consumer's last fetch of that partition (a partition whose
   * leader is not back after a broker restart keeps its old 0 while its producers' records wait),
   * and a partition the consumer has returned no records of has no such metric: then the group's
   * committed offset against the log's end, asked of the cluster ({@code admin}, at most once a
   * second) decides. Not knowing is not idle: a task whose consumer has not fetched yet (a backlog
   * read partition by partition), or a cluster that does not answer, must not count as having
   * nothing to read.
   */
  static InputLag of(KafkaStreams streams, Admin admin, String groupId) {
    CommittedLag committed = new CommittedLag(admin, groupId);
    return (topic, partition) -> {
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
          Object value = entry.getValue().metricValue();
          if (value instanceof Double d && !d.isNaN()) {
            lag = OptionalLong.of(Math.max(lag.orElse(0), d.longValue()));
          }
        }
      }
      return lag.orElse(0) > 0 ? lag : committed.unread(new TopicPartition(topic, partition));
    };
  }

  /** Committed offsets against log ends, from the cluster; a cached answer per partition. */
  final class CommittedLag {
    private static final Logger log = LoggerFactory.getLogger(CommittedLag.class);
    private static final long REFRESH_MS = 1_000;
    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    private final Admin admin;
    private final String groupId;
    private final Map<TopicPartition, long[]> answers = new HashMap<>();

    CommittedLag(Admin admin, String groupId) {
      this.admin = admin;
      this.groupId = groupId;
    }

    synchronized OptionalLong unread(TopicPartition partition) {
      long now = System.currentTimeMillis();
      long[] answer = answers.get(partition);
      if (answer == null || now - answer[1] >= REFRESH_MS) {
        answer = new long[] {ask(partition), now};
        answers.put(partition, answer);
      }
      return answer[0] < 0 ? OptionalLong.empty() : OptionalLong.of(answer[0]);
    }

    /** The records after the group's committed offset (or the log's start), or -1 if unknown. */
    private long ask(TopicPartition partition) {
      try {
        long end = offset(partition, OffsetSpec.latest());
        OffsetAndMetadata committed =
            admin
                .listConsumerGroupOffsets(groupId)
                .partitionsToOffsetAndMetadata()
                .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .get(partition);
        long from =
            committed != null ? committed.offset() : offset(partition, OffsetSpec.earliest());
        return Math.max(0, end - from);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return -1;
      } catch (Exception e) {
        log.debug("Cannot tell the lag of {}: {}", partition, e.toString());
        return -1;
      }
    }

    private long offset(TopicPartition partition, OffsetSpec spec) throws Exception {
      return admin
          .listOffsets(Map.of(partition, spec))
          .partitionResult(partition)
          .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
          .offset();
    }
  }
}
