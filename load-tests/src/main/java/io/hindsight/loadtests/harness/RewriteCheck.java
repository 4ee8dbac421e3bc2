package io.hindsight.loadtests.harness;

import io.hindsight.config.HindsightConfig;
import io.hindsight.config.Topics;
import io.hindsight.events.EventCodec;
import io.hindsight.markov.RewriteRule;
import io.hindsight.rewrite.RewriteLoopSettings;
import io.hindsight.rewrite.RewriteReplica;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * What the rewrites app did with the interactions, read from Kafka: how many it has consumed (its
 * group's committed offsets), and whether the rule table it published equals the live rules of a
 * second replica that this JVM replays from the same reformulations log.
 */
final class RewriteCheck implements AutoCloseable {
  private final String bootstrap;
  private final Topics topics;
  private final String group;
  private final Admin admin;

  RewriteCheck(String bootstrap, Topics topics, String applicationId) {
    this.bootstrap = bootstrap;
    this.topics = topics;
    this.group = applicationId + "-rewrites";
    this.admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
  }

  @Override
  public void close() {
    admin.close(Duration.ofSeconds(5));
  }

  /** Interactions the rewrites app has committed as consumed, over all partitions. */
  synchronized long consumed() {
    try {
      Map<TopicPartition, OffsetAndMetadata> offsets =
          admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
      return offsets.entrySet().stream()
          .filter(e -> e.getKey().topic().equals(topics.interactions().name()))
          .filter(e -> e.getValue() != null)
          .mapToLong(e -> e.getValue().offset())
          .sum();
    } catch (Exception e) {
      return -1;
    }
  }

  /** Interactions on the topic, over all partitions. */
  synchronized long produced() {
    try {
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      admin
          .describeTopics(List.of(topics.interactions().name()))
          .allTopicNames()
          .get()
          .get(topics.interactions().name())
          .partitions()
          .forEach(
              p ->
                  latest.put(
                      new TopicPartition(topics.interactions().name(), p.partition()),
                      OffsetSpec.latest()));
      return admin.listOffsets(latest).all().get().values().stream()
          .mapToLong(r -> r.offset())
          .sum();
    } catch (Exception e) {
      return -1;
    }
  }

  /**
   * Replays the reformulations log into a fresh replica under the service's settings and compares
   * its live rules with the table on the compacted rewrites topic.
   */
  Map<String, Object> compareRules(Map<String, String> serviceSettings) {
    Map<String, String> values = new HashMap<>(serviceSettings);
    values.put(HindsightConfig.BOOTSTRAP_SERVERS, bootstrap);
    RewriteReplica replica =
        new RewriteReplica(RewriteLoopSettings.from(HindsightConfig.load(null, Map.of(), values)));
    replica.open();
    long started = System.nanoTime();
    long[] records = {0};
    readAll(
        topics.reformulations().name(),
        (offset, record) -> {
          replica.apply(offset, record.value());
          records[0]++;
        });
    Map<String, String> replayed = new TreeMap<>();
    for (RewriteRule rule : replica.liveRules()) {
      replayed.put(rule.source(), rule.target());
    }
    Map<String, String> published = new TreeMap<>();
    readAll(
        topics.rewrites().name(),
        (offset, record) -> {
          String source = new String(record.key(), StandardCharsets.UTF_8);
          if (record.value() == null) {
            published.remove(source);
          } else {
            try {
              published.put(source, EventCodec.JSON.readTree(record.value()).path("target").asText());
            } catch (java.io.IOException e) {
              published.put(source, "<unreadable>");
            }
          }
        });
    Map<String, Object> check = new LinkedHashMap<>();
    check.put("reformulations_replayed", records[0]);
    check.put("replay_seconds", Report.round((System.nanoTime() - started) / 1e9));
    check.put("states_replayed", replica.states());
    check.put("rules_published", published.size());
    check.put("rules_replayed", replayed.size());
    check.put("identical", published.equals(replayed));
    if (!published.equals(replayed)) {
      Map<String, String> differ = new TreeMap<>();
      published.forEach(
          (k, v) -> {
            if (!v.equals(replayed.get(k))) {
              differ.put(k, v + " | replayed: " + replayed.get(k));
            }
          });
      replayed.forEach((k, v) -> differ.putIfAbsent(k, published.get(k) + " | replayed: " + v));
      check.put("first_differences", differ.entrySet().stream().limit(10).toList().toString());
    }
    check.put(
        "definition",
        "the rule table on the compacted rewrites topic (the service's replica) against the live"
            + " rules of a second replica replayed in the harness from the same reformulations log");
    return check;
  }

  /** Every committed record of a topic from its beginning to its end now, partition by partition. */
  private void readAll(String topic, BiConsumer<Long, ConsumerRecord<byte[], byte[]>> sink) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic).stream()
              .map(p -> new TopicPartition(topic, p.partition()))
              .sorted(java.util.Comparator.comparingInt(TopicPartition::partition))
              .toList();
      for (TopicPartition partition : partitions) {
        consumer.assign(List.of(partition));
        consumer.seekToBeginning(List.of(partition));
        long end = consumer.endOffsets(List.of(partition)).get(partition);
        while (consumer.position(partition) < end) {
          for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
            sink.accept(record.offset(), record);
          }
        }
      }
    }
  }
}
