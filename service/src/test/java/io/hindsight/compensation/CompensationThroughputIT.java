package io.hindsight.compensation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
import java.util.concurrent.atomic.AtomicLong;
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
 * and writes the same records, measured in the same run, at both processing guarantees, for the
 * paper's formula ({@code compensation.mode=reloop2}), the learned blend over the sketch and two
 * field memories ({@code blend-without-entities}) and the default blend, which also reads the
 * userId entity memories ({@code blend}); the last line per guarantee is the entity memories' cost
 * as a ratio.
 *
 * <p>The workload is one prediction every {@value #SPACING_MS} ms of event time, half of them
 * labelled a second later, and starts with one attribution window's worth ({@link #fill}, 60,000 at
 * the default window of 10 minutes) that is not timed: only from the first window's close on do
 * samples reach the error memory, so a run timed from its first output would measure an empty
 * memory and none of its writes. Each run is timed from the output of the fill to the last output
 * record (the stream thread reads ahead of that output, as predictions wait for the replica, so the
 * timed part is the output of predictions scored while the replica applies their samples), after an
 * untimed warm-up of every topology, mode and guarantee (fill included) so that no timed run pays
 * for the JIT. The machine may be shared, so besides records per wall-clock second the test prints
 * the process CPU time per record (broker included, as it runs in this JVM), which other processes
 * disturb less. A benchmark, so the test suite leaves it out: run {@code mvn -B verify -Dtest=NONE
 * -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=CompensationThroughputIT} (sizes: {@code
 * -Dthroughput.predictions}, {@code -Dthroughput.warm.up}; a warm-up of 0 skips it).
 */
class CompensationThroughputIT {
  @RegisterExtension static final KafkaBroker kafka = new KafkaBroker();
  private static final int PREDICTIONS = Integer.getInteger("throughput.predictions", 50_000);
  private static final int WARM_UP_PREDICTIONS = Integer.getInteger("throughput.warm.up", 20_000);
  private static final int DIMENSION = 64;

  /** Event time between predictions; outcomes come {@value #OUTCOME_DELAY_MS} ms after theirs. */
  private static final long SPACING_MS = 10;

  private static final long OUTCOME_DELAY_MS = 1000;

  /** The blend without entity memories ({@code compensation.entity.fields} empty). */
  private static final String BLEND_WITHOUT_ENTITIES = "blend-without-entities";

  @Test
  void shouldReportCompensationThroughputAgainstPassThrough() throws Exception {
    if (WARM_UP_PREDICTIONS > 0) {
      warmUp();
    }
    for (String guarantee :
        List.of(HindsightConfig.AT_LEAST_ONCE, HindsightConfig.EXACTLY_ONCE_V2)) {
      String prefix = "tp-" + guarantee.replace('_', '-') + ".";
      HindsightConfig config = config(prefix, guarantee, "blend");
      Topics topics = Topics.from(config);
      provision(config, topics);
      int fill = fill(config);
      produceWorkload(topics, fill + PREDICTIONS);
      Rate passThrough =
          run(
              config,
              new PassThroughApp(topics),
              topics.compensations().name() + "-copy",
              fill,
              PREDICTIONS);
      System.out.printf(
          "THROUGHPUT %s: pass-through %.0f records/s (%.0f us CPU/record: %s)%n",
          guarantee,
          passThrough.perSecond(),
          passThrough.cpuMicrosPerRecord(),
          passThrough.split());
      // Each mode on its own copy of the workload, so each run's output topic holds only its own.
      Rate withoutEntities = null;
      for (String mode : List.of("reloop2", BLEND_WITHOUT_ENTITIES, "blend")) {
        String modePrefix = prefix + mode + ".";
        HindsightConfig modeConfig = config(modePrefix, guarantee, mode);
        Topics modeTopics = Topics.from(modeConfig);
        provision(modeConfig, modeTopics);
        produceWorkload(modeTopics, fill + PREDICTIONS);
        Rate compensation =
            run(
                modeConfig,
                new CompensationApp(modeConfig, new SimpleMeterRegistry()),
                modeTopics.compensations().name(),
                fill,
                PREDICTIONS);
        System.out.printf(
            "THROUGHPUT %s %s: compensation %.0f predictions/s (%.0f us CPU/prediction: %s; %.1f"
                + " changelog records/prediction), ratio to pass-through %.2f (by CPU time %.2f)%n",
            guarantee,
            mode,
            compensation.perSecond(),
            compensation.cpuMicrosPerRecord(),
            compensation.split(),
            compensation.changelogPerRecord(),
            compensation.perSecond() / passThrough.perSecond(),
            passThrough.cpuMicrosPerRecord() / compensation.cpuMicrosPerRecord());
        assertThat(compensation.perSecond()).isPositive();
        if (mode.equals(BLEND_WITHOUT_ENTITIES)) {
          withoutEntities = compensation;
        } else if (mode.equals("blend")) {
          System.out.printf(
              "THROUGHPUT %s: entity memories cost, blend with / without them %.2f (by CPU time"
                  + " %.2f)%n",
              guarantee,
              compensation.perSecond() / withoutEntities.perSecond(),
              withoutEntities.cpuMicrosPerRecord() / compensation.cpuMicrosPerRecord());
        }
      }
    }
  }

  /**
   * Every topology timed later once, untimed, at each guarantee and in each mode, so that the timed
   * runs meet compiled code: warming up one mode at one guarantee left the others compiling during
   * their timed runs (JFR showed seconds of C2 compilations in each), which charged the
   * compensation for the JIT and not the pass-through, whose code is small.
   */
  private static void warmUp() throws Exception {
    for (String guarantee :
        List.of(HindsightConfig.AT_LEAST_ONCE, HindsightConfig.EXACTLY_ONCE_V2)) {
      String prefix = "tp-warm-up-" + guarantee.replace('_', '-') + ".";
      HindsightConfig config = config(prefix, guarantee, "blend");
      Topics topics = Topics.from(config);
      provision(config, topics);
      produceWorkload(topics, WARM_UP_PREDICTIONS);
      run(
          config,
          new PassThroughApp(topics),
          topics.compensations().name() + "-copy",
          0,
          WARM_UP_PREDICTIONS);
      for (String mode : List.of("reloop2", BLEND_WITHOUT_ENTITIES, "blend")) {
        HindsightConfig modeConfig = config(prefix + mode + ".", guarantee, mode);
        Topics modeTopics = Topics.from(modeConfig);
        provision(modeConfig, modeTopics);
        // With a fill, so that the memories' writes are compiled before the timed runs too.
        int fill = fill(modeConfig);
        produceWorkload(modeTopics, fill + WARM_UP_PREDICTIONS);
        run(
            modeConfig,
            new CompensationApp(modeConfig, new SimpleMeterRegistry()),
            modeTopics.compensations().name(),
            fill,
            WARM_UP_PREDICTIONS);
      }
    }
  }

  private static void provision(HindsightConfig config, Topics topics) throws Exception {
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
  }

  /**
   * Output records per wall-clock second, process CPU time per output record and its parts by
   * thread ({@link #threadCpuNanos}; threads that ended within the run are missed, and the rest,
   * GC, JIT and native threads such as RocksDB's, is the process's time less theirs), and records
   * written to the app's changelog topics per output record, all over the timed part of the run.
   */
  private record Rate(
      double perSecond,
      double cpuMicrosPerRecord,
      double[] threadMicros,
      double changelogPerRecord) {
    /** The CPU split as printed: stream, global, producers, other Java threads, the rest. */
    String split() {
      double javaThreads = 0;
      for (double micros : threadMicros) {
        javaThreads += micros;
      }
      return String.format(
          "stream thread %.0f us, global thread %.0f us, producer I/O %.0f us, other Java threads"
              + " (broker, clients) %.0f us, GC/JIT/native %.0f us",
          threadMicros[0],
          threadMicros[1],
          threadMicros[2],
          threadMicros[3],
          cpuMicrosPerRecord - javaThreads);
    }
  }

  /**
   * CPU time so far of the app's stream threads (index 0), its global thread (1), its producers'
   * network threads (2) and every other live Java thread of the process, the broker's among them
   * (3).
   */
  private static long[] threadCpuNanos(String applicationId) {
    java.lang.management.ThreadMXBean threads =
        java.lang.management.ManagementFactory.getThreadMXBean();
    long[] nanos = new long[4];
    for (Thread thread : Thread.getAllStackTraces().keySet()) {
      String name = thread.getName();
      int role;
      if (!name.contains(applicationId)) {
        role = 3;
      } else if (name.contains("producer")) {
        role = 2;
      } else if (name.contains("-GlobalStreamThread")) {
        role = 1;
      } else if (name.contains("-StreamThread-")) {
        role = 0;
      } else {
        role = 3;
      }
      long cpu = threads.getThreadCpuTime(thread.getId());
      if (cpu > 0) {
        nanos[role] += cpu;
      }
    }
    return nanos;
  }

  private static long changelogRecords(Admin admin, String applicationId) throws Exception {
    long total = 0;
    for (String topic : admin.listTopics().names().get()) {
      if (topic.startsWith(applicationId + "-") && topic.endsWith("-changelog")) {
        total += endOffsets(admin, topic);
      }
    }
    return total;
  }

  private static HindsightConfig config(String prefix, String guarantee, String mode)
      throws Exception {
    return HindsightConfig.load(
        null,
        Map.of(),
        Map.of(
            HindsightConfig.COMPENSATION_ENTITY_FIELDS,
            mode.equals(BLEND_WITHOUT_ENTITIES) ? "" : "userId",
            HindsightConfig.COMPENSATION_MODE,
            mode.equals(BLEND_WITHOUT_ENTITIES) ? "blend" : mode,
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

  private static void produceWorkload(Topics topics, int predictions) {
    SplittableRandom random = new SplittableRandom(7);
    long t0 = System.currentTimeMillis() - Duration.ofDays(1).toMillis();
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>(predictions * 2);
    for (int i = 0; i < predictions; i++) {
      float[] embedding = new float[DIMENSION];
      for (int k = 0; k < DIMENSION; k++) {
        embedding[k] = (float) random.nextGaussian();
      }
      String id = "p" + i;
      long ts = t0 + i * SPACING_MS;
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
                ts + OUTCOME_DELAY_MS,
                utf8(id),
                EventCodec.encode(new Outcome(id, ts + OUTCOME_DELAY_MS, 1.0))));
      }
    }
    TestTopics.produce(kafka.bootstrapServers(), records);
  }

  /**
   * The untimed predictions that come first: one attribution window of them, after which windows
   * close and samples reach the memory at the rate predictions arrive, as in a running deployment.
   * {@code -Dthroughput.fill} overrides it (0 times a memory that nothing is written to).
   */
  private static int fill(HindsightConfig config) {
    long window = config.getLong(HindsightConfig.COMPENSATION_ATTRIBUTION_WINDOW_MS);
    return Integer.getInteger("throughput.fill", (int) (window / SPACING_MS));
  }

  /**
   * Starts the app on a workload of {@code fill + predictions} and waits until it has written one
   * record per prediction; the clock runs from the output of the fill (its first output record when
   * there is none) to the last.
   */
  private static Rate run(
      HindsightConfig config, StreamsApp app, String outputTopic, int fill, int predictions)
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
      AtomicLong output = new AtomicLong();
      await("the output of the fill")
          .atMost(Duration.ofMinutes(4))
          .pollInterval(Duration.ofMillis(20))
          .until(
              () -> {
                output.set(endOffsets(admin, outputTopic));
                return output.get() >= Math.max(1, fill);
              });
      String applicationId = props.getProperty("application.id");
      long changelogStarted = changelogRecords(admin, applicationId);
      long firstOutput = endOffsets(admin, outputTopic);
      long started = System.nanoTime();
      long cpuStarted = processCpuNanos();
      long[] threadsStarted = threadCpuNanos(applicationId);
      await("one output record per prediction")
          .atMost(Duration.ofMinutes(4))
          .pollInterval(Duration.ofMillis(50))
          .until(
              () -> {
                output.set(endOffsets(admin, outputTopic));
                return output.get() >= fill + predictions;
              });
      long written = output.get();
      long records = written - firstOutput;
      double perSecond = records / ((System.nanoTime() - started) / 1e9);
      double cpuMicros = (processCpuNanos() - cpuStarted) / 1e3 / records;
      long[] threadsEnded = threadCpuNanos(applicationId);
      double[] threadMicros = new double[threadsEnded.length];
      for (int role = 0; role < threadMicros.length; role++) {
        threadMicros[role] = (threadsEnded[role] - threadsStarted[role]) / 1e3 / records;
      }
      return new Rate(
          perSecond,
          cpuMicros,
          threadMicros,
          (changelogRecords(admin, applicationId) - changelogStarted) / (double) records);
    } finally {
      Directories.delete(stateDir);
    }
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /** Records in the topic: under exactly-once, transaction markers are counted too. */
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
