package io.hindsight.export;

import io.hindsight.events.EventCodec;
import io.hindsight.events.Rewrite;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads a compacted rewrites topic from the beginning up to the end offsets it has when reading
 * starts, committed records only, with a plain consumer that joins no group and commits nothing.
 * Rules published while it reads may or may not be included; the result is what the table held at
 * some moment no earlier than the start.
 */
public final class RewriteTableReader {
  private static final Duration POLL = Duration.ofMillis(200);

  private final Map<String, Object> consumerSettings;
  private final Duration timeout;

  /**
   * @param bootstrapServers the cluster
   * @param overrides further consumer settings (security, timeouts); they win over the defaults
   * @param timeout how long reading to the end may take before failing
   */
  public RewriteTableReader(
      String bootstrapServers, Map<String, Object> overrides, Duration timeout) {
    Map<String, Object> settings = new HashMap<>();
    settings.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    settings.put(ConsumerConfig.CLIENT_ID_CONFIG, "hindsight-export");
    // Rules come from an exactly-once topology: aborted transactions must not become rules.
    settings.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    settings.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    settings.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    // Exporting from a mistyped prefix must fail, not create an empty topic.
    settings.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
    settings.putAll(overrides);
    this.consumerSettings = settings;
    this.timeout = timeout;
  }

  /**
   * The live rules of {@code topic}.
   *
   * @throws IOException if the topic does not exist or reading to its end takes longer than the
   *     timeout
   */
  public RewriteTable read(String topic) throws IOException {
    try (Consumer<String, byte[]> consumer =
        new KafkaConsumer<>(
            consumerSettings, new StringDeserializer(), new ByteArrayDeserializer())) {
      return read(consumer, topic);
    }
  }

  RewriteTable read(Consumer<String, byte[]> consumer, String topic) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<PartitionInfo> partitions;
    try {
      partitions = consumer.partitionsFor(topic, timeout);
    } catch (TimeoutException e) {
      throw new IOException("no metadata for topic " + topic + " within " + timeout, e);
    }
    if (partitions == null || partitions.isEmpty()) {
      throw new IOException("topic " + topic + " does not exist");
    }
    List<TopicPartition> assigned = new ArrayList<>();
    for (PartitionInfo partition : partitions) {
      assigned.add(new TopicPartition(topic, partition.partition()));
    }
    consumer.assign(assigned);
    consumer.seekToBeginning(assigned);
    // Under read_committed these are the last stable offsets: open transactions are not waited for.
    Map<TopicPartition, Long> end = new HashMap<>(consumer.endOffsets(assigned, timeout));

    Map<String, Rewrite> live = new HashMap<>();
    Set<String> retracted = new HashSet<>();
    long records = 0;
    List<String> unreadable = new ArrayList<>();
    end.entrySet().removeIf(e -> consumer.position(e.getKey()) >= e.getValue());
    while (!end.isEmpty()) {
      if (System.nanoTime() > deadline) {
        throw new IOException(
            "reading "
                + topic
                + " to its end took longer than "
                + timeout
                + "; left: "
                + end.keySet());
      }
      for (ConsumerRecord<String, byte[]> record : consumer.poll(POLL)) {
        Long stop = end.get(new TopicPartition(record.topic(), record.partition()));
        if (stop == null || record.offset() >= stop) {
          continue;
        }
        records++;
        if (record.key() == null) {
          unreadable.add(
              "partition " + record.partition() + " offset " + record.offset() + ": no key");
          continue;
        }
        live.remove(record.key());
        retracted.remove(record.key());
        if (record.value() == null) {
          retracted.add(record.key());
          continue;
        }
        String problem = null;
        try {
          Rewrite rule = EventCodec.JSON.readValue(record.value(), Rewrite.class);
          if (isBlank(rule.source()) || isBlank(rule.target())) {
            problem = "no source or no target";
          } else {
            live.put(record.key(), rule);
          }
        } catch (IOException e) {
          problem = "not a rule: " + firstLine(e.getMessage());
        }
        if (problem != null) {
          unreadable.add(
              "partition "
                  + record.partition()
                  + " offset "
                  + record.offset()
                  + " key '"
                  + record.key()
                  + "': "
                  + problem);
        }
      }
      end.entrySet().removeIf(e -> consumer.position(e.getKey()) >= e.getValue());
    }
    return new RewriteTable(live, records, retracted.size(), unreadable);
  }

  private static boolean isBlank(String text) {
    return text == null || text.isBlank();
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "unknown error";
    }
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }
}
