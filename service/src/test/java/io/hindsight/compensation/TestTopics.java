package io.hindsight.compensation;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Test traffic in and committed records out, with clients tuned for a broker just started. */
final class TestTopics {
  private static final Duration SETTLE = Duration.ofSeconds(3);

  private TestTopics() {}

  /**
   * Sends the records in order and waits until all are written. Not idempotent: right after a topic
   * is created the broker may refuse a first batch (not leader yet), and an idempotent producer
   * whose first batch is retried after later ones succeeded can stall on out-of-order sequence
   * numbers; one request in flight keeps the order instead.
   */
  static void produce(String bootstrapServers, List<ProducerRecord<byte[], byte[]>> records) {
    Map<String, Object> config =
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrapServers,
            ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
            false,
            ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION,
            1,
            ProducerConfig.ACKS_CONFIG,
            "all",
            ProducerConfig.LINGER_MS_CONFIG,
            5,
            ProducerConfig.BATCH_SIZE_CONFIG,
            256 * 1024);
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer())) {
      List<Future<RecordMetadata>> sent = new ArrayList<>();
      records.forEach(record -> sent.add(producer.send(record)));
      producer.flush();
      for (Future<RecordMetadata> result : sent) {
        result.get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("test traffic not written", e.getCause());
    }
  }

  /**
   * Reads until {@code expected} records have arrived, then for a few more seconds so that records
   * beyond the expected count (duplicates) are seen too.
   */
  static List<ConsumerRecord<byte[], byte[]>> readCommitted(
      String bootstrapServers, String topic, int expected, Duration timeout) {
    return readCommitted(bootstrapServers, topic, expected, timeout, record -> true);
  }

  /**
   * {@link #readCommitted} until {@code expected} of the records read are ones that {@code counts}.
   */
  static List<ConsumerRecord<byte[], byte[]>> readCommitted(
      String bootstrapServers,
      String topic,
      int expected,
      Duration timeout,
      java.util.function.Predicate<ConsumerRecord<byte[], byte[]>> counts) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "verify-" + UUID.randomUUID());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 10_000);
    List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    long deadline = System.nanoTime() + timeout.toNanos();
    long settledAt = Long.MAX_VALUE;
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topic));
      while (System.nanoTime() < Math.min(deadline, settledAt)) {
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
        if (records.stream().filter(counts).count() >= expected && settledAt == Long.MAX_VALUE) {
          settledAt = System.nanoTime() + SETTLE.toNanos();
        }
      }
    }
    return records;
  }
}
