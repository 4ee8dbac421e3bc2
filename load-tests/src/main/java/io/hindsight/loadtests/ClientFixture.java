package io.hindsight.loadtests;

import io.hindsight.DataDirectory;
import io.hindsight.broker.EmbeddedKafka;
import io.hindsight.broker.TopicProvisioner;
import io.hindsight.client.Candidate;
import io.hindsight.compensation.CompensationSettings;
import io.hindsight.compensation.ErrorMemoryReplica;
import io.hindsight.compensation.Sample;
import io.hindsight.config.HindsightConfig;
import io.hindsight.config.Topics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A real in-process broker whose labelled-samples topic holds samples of d = 64 keys with errors
 * by cluster and user, each with the blend features a writer's replica scored it with (as the
 * service's tasks do); the writer keeps the same memories, for a baseline read.
 */
final class ClientFixture implements AutoCloseable {
  static final int DIMENSION = 64;
  static final String MODEL = "ranker";
  static final String VERSION = "v1";
  private static final int CLUSTERS = 64;
  private static final long T0 = 1_700_000_000_000L;

  final Path directory;
  final EmbeddedKafka broker;
  final HindsightConfig config;
  final ErrorMemoryReplica writer;
  private final SplittableRandom random = new SplittableRandom(64);
  private long produced;

  ClientFixture() {
    this("offheap");
  }

  /** With the error memory layout {@code store} ({@value HindsightConfig#COMPENSATION_MEMORY_STORE}). */
  ClientFixture(String store) {
    try {
      directory = Files.createTempDirectory("hindsight-client-bench");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    broker = EmbeddedKafka.start(directory.resolve("broker"), 0);
    Map<String, String> values = new HashMap<>();
    values.put(HindsightConfig.BOOTSTRAP_SERVERS, broker.bootstrapServers());
    values.put(HindsightConfig.STATE_DIR, directory.resolve("state").toString());
    values.put(HindsightConfig.COMPENSATION_MEMORY_STORE, store);
    config = HindsightConfig.load(null, Map.of(), values);
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
      new TopicProvisioner(config, Topics.from(config)).provision(admin);
    }
    writer = new ErrorMemoryReplica(CompensationSettings.from(config));
    writer.open(directory.resolve("writer"));
  }

  /** Produces {@code count} more samples of one model version, scored by the writer first. */
  void produce(long count) {
    String topic = Topics.from(config).labelledSamples().name();
    Map<String, Object> settings = new HashMap<>();
    settings.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    settings.put(ProducerConfig.LINGER_MS_CONFIG, 20);
    settings.put(ProducerConfig.BATCH_SIZE_CONFIG, 512 * 1024);
    settings.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    byte[] key = MODEL.getBytes(StandardCharsets.UTF_8);
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(settings, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (long i = 0; i < count; i++, produced++) {
        long t = T0 + produced * 100L;
        int cluster = random.nextInt(CLUSTERS);
        int user = random.nextInt(10_000);
        double score = random.nextDouble(0.05, 0.95);
        double truth = clamp(score + (cluster % 3 - 1) * 0.2 + (user % 4 == 0 ? 0.1 : 0));
        double label = random.nextDouble() < truth ? 1.0 : 0.0;
        float[] vector = vector(cluster);
        Map<String, String> fields =
            Map.of("userId", "u" + user, "itemId", "i" + random.nextInt(50_000));
        double[] features =
            writer
                .score(MODEL, VERSION, vector, score, t, fields, true)
                .map(scored -> scored.scores().features())
                .orElse(new double[0]);
        Sample sample =
            new Sample(MODEL, VERSION, "r" + produced, t, score, label, vector, fields, features, true);
        writer.apply(0, produced, sample);
        producer.send(new ProducerRecord<>(topic, null, t, key, sample.encode()));
      }
      producer.flush();
    }
  }

  /** A candidate like the samples: a user, an item and a key near one of the clusters. */
  Candidate candidate() {
    return Candidate.of(random.nextDouble(0.05, 0.95), vector(random.nextInt(CLUSTERS)))
        .withUser("u" + random.nextInt(10_000))
        .withItem("i" + random.nextInt(50_000))
        .at(T0 + produced * 100L);
  }

  private float[] vector(int cluster) {
    SplittableRandom centre = new SplittableRandom(cluster);
    float[] v = new float[DIMENSION];
    for (int d = 0; d < DIMENSION; d++) {
      v[d] = (float) (centre.nextGaussian() + 0.1 * random.nextGaussian());
    }
    return v;
  }

  private static double clamp(double p) {
    return Math.min(0.99, Math.max(0.01, p));
  }

  @Override
  public void close() {
    writer.close();
    broker.close();
    DataDirectory.delete(directory);
  }
}
