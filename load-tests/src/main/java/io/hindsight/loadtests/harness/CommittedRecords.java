package io.hindsight.loadtests.harness;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Every committed record of a topic, read from its start to its end as a downstream consumer sees
 * it ({@code read_committed}). Used once the writers have stopped: it first waits until no
 * transaction is open on the topic (a killed producer's transaction stays open until the
 * coordinator aborts it), so that "the end" is the end of the log, not a stable offset below it.
 */
final class CommittedRecords {
  private CommittedRecords() {}

  /** The records, partition by partition in offset order; fails if transactions stay open. */
  static List<ConsumerRecord<byte[], byte[]>> readAll(
      String bootstrapServers, String topic, Duration openTransactionsTimeout)
      throws InterruptedException {
    try (KafkaConsumer<byte[], byte[]> committed = consumer(bootstrapServers, "read_committed");
        KafkaConsumer<byte[], byte[]> uncommitted =
            consumer(bootstrapServers, "read_uncommitted")) {
      List<TopicPartition> partitions = new ArrayList<>();
      committed
          .partitionsFor(topic, Duration.ofSeconds(30))
          .forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
      long deadline = System.nanoTime() + openTransactionsTimeout.toNanos();
      Map<TopicPartition, Long> end = committed.endOffsets(partitions);
      while (!end.equals(uncommitted.endOffsets(partitions))) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "Transactions still open on "
                  + topic
                  + " after "
                  + openTransactionsTimeout
                  + ": stable offsets "
                  + end
                  + ", log ends "
                  + uncommitted.endOffsets(partitions));
        }
        // A dangling transaction ends when the coordinator's timeout aborts it (seconds).
        Thread.sleep(500);
        end = committed.endOffsets(partitions);
      }
      Map<TopicPartition, Long> stable = end;
      committed.assign(partitions);
      committed.seekToBeginning(partitions);
      List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
      while (partitions.stream().anyMatch(p -> committed.position(p) < stable.get(p))) {
        committed.poll(Duration.ofMillis(200)).forEach(records::add);
      }
      return records;
    }
  }

  private static KafkaConsumer<byte[], byte[]> consumer(String bootstrapServers, String isolation) {
    return new KafkaConsumer<>(
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrapServers,
            ConsumerConfig.ISOLATION_LEVEL_CONFIG,
            isolation,
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
            false,
            ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
            10_000),
        new ByteArrayDeserializer(),
        new ByteArrayDeserializer());
  }
}
