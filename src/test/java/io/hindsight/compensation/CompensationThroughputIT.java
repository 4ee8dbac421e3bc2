package io.hindsight.compensation;

import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.HindsightService;
import io.hindsight.StreamsApp;
import io.hindsight.broker.TopicProvisioner;
import io.hindsight.config.HindsightConfig;
import io.hindsight.config.Topics;
import io.hindsight.events.EventCodec;
import io.hindsight.events.Outcome;
import io.hindsight.events.Prediction;
import io.hindsight.testing.Directories;
import io.hindsight.testing.KafkaBroker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Compensation throughput on the in-process broker as a ratio to a pass-through topology that reads
 * and writes the same records, measured in the same run, at both processing guarantees.
 */
class CompensationThroughputIT {
  @RegisterExtension static final KafkaBroker kafka = new KafkaBroker();
  private static final int PREDICTIONS = 50_000;
  private static final int DIMENSION = 64;

  @Test
  void shouldReportCompensationThroughputAgainstPassThrough() throws Exception {
    for (String guarantee :
        List.of(HindsightConfig.AT_LEAST_ONCE, HindsightConfig.EXACTLY_ONCE_V2)) {
      String prefix = "tp-" + guarantee.replace('_', '-') + ".";
      HindsightConfig config = config(prefix, guarantee);
      Topics topics = Topics.from(config);
      try (Admin admin =
          Admin.create(
              Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
        new TopicProvisioner(config, topics).provision(admin);
        admin
            .createTopics(
                List.of(
                    new org.apache.kafka.clients.admin.NewTopic(
                        topics.compensations().name() + "-copy", 4, (short) 1)))
            .all()
            .get();
      }
      produceWorkload(topics);
      double passThrough =
          run(config, new PassThroughApp(topics), topics.compensations().name() + "-copy");
      double compensation =
          run(
              config,
              new CompensationApp(config, new SimpleMeterRegistry()),
              topics.compensations().name());
      System.out.printf(
          "THROUGHPUT %s: pass-through %.0f records/s, compensation %.0f predictions/s, ratio %.2f%n",
          guarantee, passThrough, compensation, compensation / passThrough);
      assertThat(compensation).isPositive();
    }
  }

  private static HindsightConfig config(String prefix, String guarantee) throws Exception {
    return HindsightConfig.load(
        null,
        Map.of(),
        Map.of(
            HindsightConfig.BOOTSTRAP_SERVERS,
            kafka.bootstrapServers(),
            HindsightConfig.TOPIC_PREFIX,
            prefix,
            HindsightConfig.APPLICATION_ID,
            prefix + "app",
            HindsightConfig.PROCESSING_GUARANTEE,
            guarantee,
            HindsightConfig.STATE_DIR,
            Files.createTempDirectory("hindsight-tp").toString(),
            HindsightConfig.VALIDATION_MAX_FUTURE_SKEW_MS,
            Long.toString(Long.MAX_VALUE / 4)));
  }

  private static void produceWorkload(Topics topics) {
    SplittableRandom random = new SplittableRandom(7);
    long t0 = System.currentTimeMillis() - Duration.ofDays(1).toMillis();
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>(PREDICTIONS * 2);
    for (int i = 0; i < PREDICTIONS; i++) {
      float[] embedding = new float[DIMENSION];
      for (int k = 0; k < DIMENSION; k++) {
        embedding[k] = (float) random.nextGaussian();
      }
      String id = "p" + i;
      long ts = t0 + i * 10L;
      Prediction p =
          new Prediction(
              id,
              "m",
              "v1",
              ts,
              random.nextDouble(),
              embedding,
              null,
              "u" + (i % 1000),
              "i" + (i % 500));
      records.add(
          new ProducerRecord<>(
              topics.predictions().name(), null, ts, utf8(id), EventCodec.encode(p)));
      if (random.nextBoolean()) {
        records.add(
            new ProducerRecord<>(
                topics.outcomes().name(),
                null,
                ts + 1000,
                utf8(id),
                EventCodec.encode(new Outcome(id, ts + 1000, 1.0))));
      }
    }
    kafka.produce(topics.predictions().name(), records);
  }

  /** Starts the app, waits until it has written one record per prediction, returns records/s. */
  private static double run(HindsightConfig config, StreamsApp app, String outputTopic)
      throws Exception {
    Properties props = new Properties();
    props.putAll(HindsightService.streamsSettings(config, app));
    Path stateDir = Path.of(props.getProperty("state.dir"));
    app.beforeStart(stateDir.toString(), props.getProperty("application.id"));
    try (KafkaStreams streams = new KafkaStreams(app.topology(), props);
        Admin admin =
            Admin.create(
                Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      streams.start();
      while (streams.state() != KafkaStreams.State.RUNNING) {
        Thread.onSpinWait();
      }
      long started = System.nanoTime();
      while (endOffsets(admin, outputTopic) < PREDICTIONS) {
        if (System.nanoTime() - started > Duration.ofMinutes(4).toNanos()) {
          throw new AssertionError(
              "only " + endOffsets(admin, outputTopic) + " records in 4 minutes");
        }
        Thread.sleep(100);
      }
      return PREDICTIONS / ((System.nanoTime() - started) / 1e9);
    } finally {
      Directories.delete(stateDir);
    }
  }

  private static long endOffsets(Admin admin, String topic) throws Exception {
    var partitions =
        admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions();
    Map<TopicPartition, OffsetSpec> request = new java.util.HashMap<>();
    partitions.forEach(
        p -> request.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
    long total = 0;
    for (ListOffsetsResult.ListOffsetsResultInfo info :
        admin.listOffsets(request).all().get().values()) {
      total += info.offset();
    }
    return total;
  }

  /** Reads predictions with the same validating serde and writes them back out unchanged. */
  private record PassThroughApp(Topics topics) implements StreamsApp {
    @Override
    public String name() {
      return "pass-through";
    }

    @Override
    public Topology topology() {
      Topology topology = new Topology();
      topology.addSource(
          "predictions-source",
          topics.predictions().keySerde().deserializer(),
          topics.predictions().valueSerde().deserializer(),
          topics.predictions().name());
      topology.addSink(
          "copy-sink",
          topics.compensations().name() + "-copy",
          topics.predictions().keySerde().serializer(),
          topics.predictions().valueSerde().serializer(),
          "predictions-source");
      return topology;
    }
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
