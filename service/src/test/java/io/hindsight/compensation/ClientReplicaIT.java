package io.hindsight.compensation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.hindsight.HindsightService;
import io.hindsight.StreamsApp;
import io.hindsight.broker.TopicProvisioner;
import io.hindsight.client.Candidate;
import io.hindsight.client.Compensated;
import io.hindsight.client.HindsightClient;
import io.hindsight.config.HindsightConfig;
import io.hindsight.config.Topics;
import io.hindsight.testing.Directories;
import io.hindsight.testing.KafkaBroker;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The embeddable client against the service's global store (the same {@link MemoryWriter} and
 * {@link ErrorMemoryStore} in Kafka Streams) over one labelled-samples topic on a real broker: at
 * the same offsets, every compensated score is the same double.
 */
class ClientReplicaIT {
  private static final int DIMENSION = 64;
  private static final long T0 = 1_700_000_000_000L;
  private static final List<String> MODELS = List.of("ranker", "scorer", "tagger");
  private static final int CLUSTERS = 8;

  @RegisterExtension static final KafkaBroker kafka = new KafkaBroker();

  private Path stateDir;
  private HindsightConfig config;
  private Topics topics;
  private KafkaStreams streams;
  private volatile ErrorMemoryStore store;
  private final List<HindsightClient> clients = new ArrayList<>();
  private final SplittableRandom random = new SplittableRandom(16);
  private int produced;

  /** Scores samples before they are produced, as the service's tasks do, for their features. */
  private ErrorMemoryReplica writer;

  @BeforeEach
  void start() throws Exception {
    stateDir = Files.createTempDirectory("hindsight-client-it");
    String name = "client-it-" + System.nanoTime();
    Map<String, String> values = new HashMap<>();
    values.put(HindsightConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
    values.put(HindsightConfig.STATE_DIR, stateDir.toString());
    values.put(HindsightConfig.APPLICATION_ID, name);
    values.put(HindsightConfig.TOPIC_PREFIX, name + ".");
    values.put(HindsightConfig.TOPIC_PARTITIONS, "3");
    config = HindsightConfig.load(null, Map.of(), values);
    topics = Topics.from(config);
    writer = new ErrorMemoryReplica(CompensationSettings.from(config));
    writer.open(stateDir.resolve("writer"));
    try (Admin admin =
        Admin.create(
            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      new TopicProvisioner(config, topics).provision(admin);
    }
  }

  @AfterEach
  void stop() {
    clients.forEach(HindsightClient::close);
    writer.close();
    if (streams != null) {
      streams.close(Duration.ofSeconds(30));
    }
    Directories.delete(stateDir);
  }

  /** The service's global error-memory store alone, as CompensationTopology adds it. */
  private void startGlobalStore() {
    CompensationSettings settings = CompensationSettings.from(config);
    Topology topology = new Topology();
    topology.addGlobalStore(
        new io.hindsight.GlobalStoreBuilder<>(
            ErrorMemoryStore.NAME,
            () -> {
              store = new ErrorMemoryStore(settings);
              return store;
            }),
        "labelled-samples-source",
        Serdes.ByteArray().deserializer(),
        Serdes.ByteArray().deserializer(),
        topics.labelledSamples().name(),
        "apply-labelled-samples",
        MemoryWriter::new);
    StreamsApp app =
        new StreamsApp() {
          @Override
          public String name() {
            return "memory-replica";
          }

          @Override
          public Topology topology() {
            return topology;
          }
        };
    Properties props = new Properties();
    props.putAll(HindsightService.streamsSettings(config, app));
    streams = new KafkaStreams(topology, props);
    streams.start();
  }

  private HindsightClient startClient() {
    HindsightClient client =
        HindsightClient.builder()
            .bootstrapServers(kafka.bootstrapServers())
            .config(Map.of(HindsightConfig.TOPIC_PREFIX, config.topicPrefix()))
            .rewrites(false)
            .start();
    clients.add(client);
    return client;
  }

  /**
   * Labelled samples of three models whose errors depend on the embedding's cluster and the user,
   * each with the blend features it was scored with (by a writer's replica, as the service scores a
   * prediction before its outcome labels it); every fifth without them.
   */
  private void produceSamples(int count) {
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String model = MODELS.get(random.nextInt(MODELS.size()));
      long t = T0 + (produced + i) * 1_000L;
      int cluster = random.nextInt(CLUSTERS);
      int user = random.nextInt(40);
      double score = random.nextDouble(0.05, 0.95);
      double truth =
          Math.min(0.99, Math.max(0.01, score + (cluster % 3 - 1) * 0.3 + (user % 2) * 0.1));
      double label = random.nextDouble() < truth ? 1.0 : 0.0;
      float[] key = vector(cluster);
      Map<String, String> fields =
          Map.of("userId", "u" + user, "itemId", "i" + random.nextInt(200));
      double[] features =
          i % 5 == 0
              ? new double[0]
              : writer
                  .score(model, "v1", key, score, t, fields, true)
                  .map(scored -> scored.scores().features())
                  .orElse(new double[0]);
      Sample sample =
          new Sample(
              model, "v1", "r" + (produced + i), t, score, label, key, fields, features, true);
      writer.apply(0, produced + i, sample);
      records.add(
          new ProducerRecord<>(
              topics.labelledSamples().name(),
              null,
              t,
              model.getBytes(StandardCharsets.UTF_8),
              sample.encode()));
    }
    kafka.produce(topics.labelledSamples().name(), records);
    produced += count;
  }

  /** A point near one of the clusters' centres, which are fixed by the seed. */
  private float[] vector(int cluster) {
    SplittableRandom centre = new SplittableRandom(cluster);
    float[] v = new float[DIMENSION];
    for (int d = 0; d < DIMENSION; d++) {
      v[d] = (float) (centre.nextGaussian() + 0.1 * random.nextGaussian());
    }
    return v;
  }

  private Candidate randomCandidate() {
    return Candidate.of(random.nextDouble(0.01, 0.99), vector(random.nextInt(CLUSTERS + 1)))
        .withUser("u" + random.nextInt(50))
        .withItem("i" + random.nextInt(250))
        .at(T0 + random.nextLong(produced + 1L) * 1_000L);
  }

  private void awaitBothAt(HindsightClient client, int records) {
    await("the service's global store applies " + records + " records")
        .atMost(Duration.ofSeconds(120))
        .until(() -> store != null && store.appliedSinceOpen() == records);
    await("the client applies " + records + " records")
        .atMost(Duration.ofSeconds(120))
        .until(
            () -> client.positions().values().stream().mapToLong(Long::longValue).sum() == records);
  }

  /** What the service answers for these candidates, as its lookup endpoint scores them. */
  private List<Optional<ErrorMemoryReplica.Scored>> service(
      String model, List<Candidate> candidates) {
    List<io.hindsight.events.Prediction> predictions = new ArrayList<>();
    for (Candidate c : candidates) {
      predictions.add(
          new io.hindsight.events.Prediction(
              "lookup",
              model,
              "v1",
              c.timestamp(),
              c.score(),
              c.embedding(),
              c.features(),
              c.userId(),
              c.itemId()));
    }
    return store.peek(
        model, "v1", new LookupQueries(CompensationSettings.from(config)).of(predictions));
  }

  private void assertIdentical(HindsightClient client, int queries) {
    int moved = 0;
    for (String model : MODELS) {
      List<Candidate> candidates = new ArrayList<>();
      for (int q = 0; q < queries; q++) {
        candidates.add(randomCandidate());
      }
      List<Optional<ErrorMemoryReplica.Scored>> expected = service(model, candidates);
      List<Compensated> batch = client.compensate(model, "v1", candidates);
      for (int q = 0; q < queries; q++) {
        Compensated one = client.compensate(model, "v1", candidates.get(q));
        ErrorMemoryReplica.Scored scored = expected.get(q).orElseThrow();
        assertThat(Double.doubleToRawLongBits(one.compensatedScore()))
            .as("%s candidate %d: client %s, service %s", model, q, one, scored.scores())
            .isEqualTo(Double.doubleToRawLongBits(scored.scores().finalScore()));
        assertThat(one.evidence()).isEqualTo(scored.evidence());
        assertThat(Double.doubleToRawLongBits(one.trust()))
            .isEqualTo(Double.doubleToRawLongBits(scored.scores().trust()));
        assertThat(batch.get(q)).as("batch = one at a time").isEqualTo(one);
        moved += one.delta() != 0 ? 1 : 0;
      }
    }
    assertThat(moved).as("candidates whose score the memories moved").isGreaterThan(queries);
    assertThat(client.samples()).isEqualTo(store.samples());
  }

  @Test
  void shouldScoreBitIdenticallyToTheServiceAtTheSameOffsets() {
    produceSamples(3_000);
    startGlobalStore();
    HindsightClient client = startClient();
    awaitBothAt(client, 3_000);
    assertIdentical(client, 300);

    // Live: both apply what comes next; compared again at the new common offsets.
    produceSamples(2_000);
    awaitBothAt(client, 5_000);
    assertIdentical(client, 300);
    assertThat(client.rejected()).isZero();
  }

  @Test
  void shouldBeReadyOnceCaughtUpToTheEndOffsetsSeenAtStart() throws Exception {
    produceSamples(4_000);
    HindsightClient client = startClient();
    assertThat(client.endOffsetsAtStart().values().stream().mapToLong(Long::longValue).sum())
        .isEqualTo(4_000);
    assertThat(client.awaitReady(Duration.ofSeconds(120))).as("ready").isTrue();
    Map<TopicPartition, Long> positions = client.positions();
    client
        .endOffsetsAtStart()
        .forEach((tp, end) -> assertThat(positions.get(tp)).isGreaterThanOrEqualTo(end));
    await("no lag").atMost(Duration.ofSeconds(30)).until(() -> client.lag() == 0);
    assertThat(client.samples()).isEqualTo(4_000);

    produceSamples(500);
    await("the client applies records produced after it was ready")
        .atMost(Duration.ofSeconds(60))
        .until(() -> client.samples() == 4_500 && client.lag() == 0);
    assertThat(client.isReady()).isTrue();
  }

  @Test
  void shouldAnswerUncompensatedForAModelVersionWithoutMemory() throws Exception {
    HindsightClient client = startClient();
    assertThat(client.awaitReady(Duration.ofSeconds(60))).isTrue();
    Candidate candidate = Candidate.of(0.3, vector(0));
    assertThat(client.compensate("unknown", "v9", candidate))
        .isEqualTo(new Compensated(0.3, 0.3, 0, 1.0));
  }

  @Test
  void shouldReportReplicationAndReadsOnTheRegistryItIsGiven() throws Exception {
    produceSamples(1_000);
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    HindsightClient client =
        HindsightClient.builder()
            .bootstrapServers(kafka.bootstrapServers())
            .config(Map.of(HindsightConfig.TOPIC_PREFIX, config.topicPrefix()))
            .rewrites(false)
            .meterRegistry(meters)
            .start();
    clients.add(client);
    assertThat(client.awaitReady(Duration.ofSeconds(120))).as("ready").isTrue();
    await("no lag").atMost(Duration.ofSeconds(30)).until(() -> client.lag() == 0);
    assertThat(meters.get("hindsight.client.records.applied").functionCounter().count())
        .isEqualTo(1_000);
    assertThat(meters.get("hindsight.client.records.rejected").functionCounter().count()).isZero();
    assertThat(meters.get("hindsight.client.lag").gauge().value()).isZero();
    assertThat(meters.get("hindsight.client.ready").gauge().value()).isEqualTo(1);
    assertThat(meters.get("hindsight.client.memory.samples").gauge().value()).isEqualTo(1_000);

    List<Candidate> five = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      five.add(randomCandidate());
    }
    client.compensate("ranker", "v1", five);
    client.compensate("ranker", "v1", five.get(0));
    client.rewrite(List.of("play some jazz", "wake me up at seven"));
    Timer compensate =
        meters.get("hindsight.client.read.latency").tag("kind", "compensate").timer();
    assertThat(compensate.count()).as("calls timed").isEqualTo(2);
    assertThat(compensate.totalTime(TimeUnit.NANOSECONDS)).isPositive();
    assertThat(meters.get("hindsight.client.reads").tag("kind", "compensate").counter().count())
        .as("candidates read")
        .isEqualTo(6);
    assertThat(meters.get("hindsight.client.read.latency").tag("kind", "rewrite").timer().count())
        .isEqualTo(1);
    assertThat(meters.get("hindsight.client.reads").tag("kind", "rewrite").counter().count())
        .isEqualTo(2);

    produceSamples(200);
    await("the registry sees the records applied after start")
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                meters.get("hindsight.client.records.applied").functionCounter().count() == 1_200
                    && meters.get("hindsight.client.lag").gauge().value() == 0);

    client.close();
    assertThat(meters.getMeters()).as("a closed client reports nothing").isEmpty();
  }
}
