package io.hindsight.recovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.hindsight.testing.KafkaBroker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The check aborts only transactions nobody will finish: live ones, however long they stay open and
 * whatever they touch (records, a group's offsets), are left alone and commit. (A hanging
 * transaction needs a broker killed mid-transaction; the load harness's fault run makes them.)
 */
class HangingTransactionsIT {
  @RegisterExtension static final KafkaBroker broker = new KafkaBroker();

  @Test
  @SuppressWarnings("removal") // a group's metadata without a consumer of that group
  void shouldLeaveLiveTransactionsAloneHoweverLongTheyStayOpen() throws Exception {
    String topic = "watched";
    String group = "watched-group";
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (Admin admin =
        Admin.create(
            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
      admin.createTopics(List.of(new NewTopic(topic, 2, (short) 1))).all().get();
      HangingTransactions check =
          new HangingTransactions(admin, topic::equals, List.of(group), registry);

      // Open across every check: records on partition 0 and the group's offsets.
      KafkaProducer<byte[], byte[]> longOpen = transactional("long-open");
      longOpen.initTransactions();
      longOpen.beginTransaction();
      longOpen.send(new ProducerRecord<>(topic, 0, null, "long".getBytes())).get();
      longOpen.sendOffsetsToTransaction(
          Map.of(new TopicPartition(topic, 1), new OffsetAndMetadata(1)),
          new ConsumerGroupMetadata(group));

      // Many short transactions on partition 1, beginning and ending while the checks run.
      AtomicBoolean running = new AtomicBoolean(true);
      AtomicInteger committed = new AtomicInteger();
      Thread shortOnes =
          new Thread(
              () -> {
                try (KafkaProducer<byte[], byte[]> producer = transactional("short")) {
                  producer.initTransactions();
                  while (running.get()) {
                    producer.beginTransaction();
                    producer.send(new ProducerRecord<>(topic, 1, null, "short".getBytes()));
                    producer.commitTransaction();
                    committed.incrementAndGet();
                  }
                }
              });
      shortOnes.start();

      int aborted = 0;
      for (int pass = 0; pass < 4; pass++) {
        aborted += check.check();
        // Between two looks, short transactions begin and end.
        int before = committed.get();
        await().atMost(Duration.ofSeconds(30)).until(() -> committed.get() >= before + 5);
      }
      running.set(false);
      shortOnes.join();
      longOpen.commitTransaction();
      longOpen.close();

      assertThat(aborted).isZero();
      assertThat(registry.get(HangingTransactions.METRIC).counter().count()).isZero();
      assertThat(committed.get()).isPositive();
      assertThat(broker.consume(topic, 1 + committed.get(), Duration.ofSeconds(30)))
          .hasSize(1 + committed.get());
      assertThat(
              admin
                  .listConsumerGroupOffsets(group)
                  .partitionsToOffsetAndMetadata()
                  .get()
                  .get(new TopicPartition(topic, 1))
                  .offset())
          .isEqualTo(1);
    }
  }

  private static KafkaProducer<byte[], byte[]> transactional(String id) {
    return new KafkaProducer<>(
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
            broker.bootstrapServers(),
            ProducerConfig.TRANSACTIONAL_ID_CONFIG,
            id,
            ProducerConfig.TRANSACTION_TIMEOUT_CONFIG,
            60_000),
        new ByteArraySerializer(),
        new ByteArraySerializer());
  }
}
