package io.hindsight.replay;

import io.hindsight.broker.TopicProvisioner;
import io.hindsight.config.HindsightConfig;
import io.hindsight.config.Topics;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Sends replayed events to Hindsight's input topics through one idempotent producer ({@code
 * acks=all}), so each partition receives its events exactly once and in the order sent. Records
 * carry the producer's wall-clock timestamp: event time is in the payload, and a years-old record
 * timestamp would make the broker delete the replayed data at once under time-based retention. Not
 * thread-safe.
 */
public final class KafkaEventSink implements EventSink {
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

  private final Producer<byte[], byte[]> producer;
  private final String[] topicByType = new String[ReplayedType.values().length];
  private final AtomicLong failures = new AtomicLong();
  private final AtomicReference<Exception> firstFailure = new AtomicReference<>();
  private final Callback callback =
      (metadata, exception) -> {
        if (exception != null) {
          failures.incrementAndGet();
          firstFailure.compareAndSet(null, exception);
        }
      };

  KafkaEventSink(Producer<byte[], byte[]> producer, Topics topics) {
    this.producer = producer;
    topicByType[ReplayedType.PREDICTION.ordinal()] = topics.predictions().name();
    topicByType[ReplayedType.OUTCOME.ordinal()] = topics.outcomes().name();
    topicByType[ReplayedType.INTERACTION.ordinal()] = topics.interactions().name();
  }

  /**
   * Creates Hindsight's topics where missing (as {@code hindsight run} would: configured
   * partitions, retention, compaction) and opens a producer to {@code bootstrap.servers}, with
   * {@code kafka.*} settings passed through.
   */
  public static KafkaEventSink open(HindsightConfig config) {
    Topics topics = Topics.from(config);
    Map<String, Object> admin = new HashMap<>();
    admin.put(
        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
        config.getString(HindsightConfig.BOOTSTRAP_SERVERS));
    admin.putAll(config.kafkaOverrides());
    try (Admin client = Admin.create(admin)) {
      new TopicProvisioner(config, topics).provision(client);
    }
    return new KafkaEventSink(
        new KafkaProducer<>(
            producerSettings(config), new ByteArraySerializer(), new ByteArraySerializer()),
        topics);
  }

  /**
   * Idempotent, {@code acks=all}, batched for throughput (large batches, a short linger, lz4);
   * {@code kafka.*} settings override these.
   */
  static Map<String, Object> producerSettings(HindsightConfig config) {
    Map<String, Object> settings = new HashMap<>();
    settings.put(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
        config.getString(HindsightConfig.BOOTSTRAP_SERVERS));
    settings.put(ProducerConfig.CLIENT_ID_CONFIG, "hindsight-replay");
    settings.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    settings.put(ProducerConfig.ACKS_CONFIG, "all");
    settings.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
    settings.put(ProducerConfig.LINGER_MS_CONFIG, 20);
    settings.put(ProducerConfig.BATCH_SIZE_CONFIG, 512 * 1024);
    settings.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 128L * 1024 * 1024);
    settings.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    // Every event Hindsight accepts fits: topics allow topic.max.message.bytes.
    settings.put(
        ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
        config.getInt(HindsightConfig.TOPIC_MAX_MESSAGE_BYTES));
    settings.putAll(config.kafkaOverrides());
    return settings;
  }

  @Override
  public void send(ReplayedType type, byte[] key, byte[] value) {
    throwIfFailed();
    producer.send(new ProducerRecord<>(topicByType[type.ordinal()], key, value), callback);
  }

  @Override
  public void flush() {
    producer.flush();
    throwIfFailed();
  }

  @Override
  public String topic(ReplayedType type) {
    return topicByType[type.ordinal()];
  }

  private void throwIfFailed() {
    Exception failure = firstFailure.get();
    if (failure != null) {
      throw new IllegalStateException(
          failures.get() + " event(s) could not be delivered; first: " + failure, failure);
    }
  }

  @Override
  public void close() {
    producer.close(CLOSE_TIMEOUT);
  }
}
