package io.hindsight.compensation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.hindsight.HindsightService;
import io.hindsight.config.HindsightConfig;
import io.hindsight.recovery.StateRebuilds;
import io.hindsight.testing.Directories;
import io.hindsight.testing.KafkaBroker;
import io.micrometer.core.instrument.Counter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Local state the cluster can no longer vouch for is rebuilt without a person: state read from
 * another cluster is discarded at start, and a global store whose offsets the cluster no longer has
 * fails its client, which is replaced by a fresh one that rebuilds the store from the topic.
 */
class ClusterChangeRecoveryIT {
  @RegisterExtension static final KafkaBroker kafka = new KafkaBroker();

  private static final int PARTITIONS = 4;
  private static final long WINDOW_MS = 60_000;
  private static final int FIRST = 3_000;
  private static final int SECOND = 2_000;

  private final List<Path> directories = new ArrayList<>();
  private final List<HindsightService> services = new ArrayList<>();

  @AfterEach
  void cleanUp() {
    services.forEach(HindsightService::close);
    directories.forEach(Directories::delete);
  }

  @Test
  void shouldRebuildStateReadFromAnotherClusterAndCompensateEveryNewPrediction() throws Exception {
    Path stateDir = temporaryDirectory("hindsight-shared-state");
    Map<String, String> embedded = new HashMap<>();
    embedded.put(HindsightConfig.BOOTSTRAP_SERVERS, "");
    embedded.put(HindsightConfig.BROKER_PORT, "0");
    embedded.put(HindsightConfig.STATE_DIR, stateDir.toString());

    long start = System.currentTimeMillis() - Duration.ofDays(1).toMillis();

    embedded.put(HindsightConfig.DATA_DIR, temporaryDirectory("hindsight-cluster-a").toString());
    HindsightService onA = start(config("cluster-change", embedded));
    CompensationWorkload first = workload(onA, FIRST, start);
    TestTopics.produce(onA.bootstrapServers(), first.records(0, FIRST));
    TestTopics.produce(onA.bootstrapServers(), first.streamTimeAdvance(PARTITIONS, 3 * WINDOW_MS));
    ErrorMemoryStore memoryOnA = awaitMemory(onA);
    await("cluster A's samples in the memory")
        .atMost(Duration.ofMinutes(2))
        .until(() -> memoryOnA.samples() >= FIRST);
    stop(onA);

    // The same state directory on a fresh, empty cluster: nothing it holds exists there.
    embedded.put(HindsightConfig.DATA_DIR, temporaryDirectory("hindsight-cluster-b").toString());
    HindsightService onB = start(config("cluster-change", embedded));
    await("ready on cluster B without a restart by hand")
        .atMost(Duration.ofMinutes(2))
        .until(onB::isReady);
    assertThat(rebuilds(onB, StateRebuilds.ALL_STORES, StateRebuilds.OTHER_CLUSTER))
        .as("the state read from cluster A was discarded, once")
        .isEqualTo(1.0);

    CompensationWorkload second = workload(onB, FIRST + SECOND, start);
    TestTopics.produce(onB.bootstrapServers(), second.records(FIRST, FIRST + SECOND));
    assertThat(compensatedIds(onB, SECOND))
        .as("every new prediction compensated")
        .isEqualTo(ids(FIRST, FIRST + SECOND));

    TestTopics.produce(onB.bootstrapServers(), second.streamTimeAdvance(PARTITIONS, 3 * WINDOW_MS));
    ErrorMemoryStore memoryOnB = awaitMemory(onB);
    await("cluster B's samples in the memory")
        .atMost(Duration.ofMinutes(2))
        .until(() -> memoryOnB.samples() >= SECOND);
    assertThat(memoryOnB.samples()).as("cluster B's samples only, none of A's").isEqualTo(SECOND);
    assertThat(onB.supervisedStreams().get(0).starts()).as("no restart needed").isEqualTo(1);
  }

  @Test
  void shouldRestartTheClientWhenItsGlobalStoreHasReadOffsetsTheClusterNoLongerHas()
      throws Exception {
    long start = System.currentTimeMillis() - Duration.ofDays(1).toMillis();
    HindsightConfig config = lostSamplesScenario("lost-offsets", 5, start);

    HindsightService restarted = start(config);
    await("ready again after a restart by itself")
        .atMost(Duration.ofMinutes(2))
        .until(restarted::isReady);
    assertThat(restarted.supervisedStreams().get(0).starts())
        .as("the failed client replaced")
        .isGreaterThanOrEqualTo(2);
    assertThat(rebuilds(restarted, ErrorMemoryStore.NAME, StateRebuilds.LOST_OFFSETS))
        .as("the replica's rebuild counted")
        .isGreaterThanOrEqualTo(1.0);
    assertThat(restarted.isLive()).isTrue();

    // Past the first run's stream time: the tasks' state (and stream time) is still there.
    CompensationWorkload second = workload(restarted, FIRST + SECOND, start + 4 * WINDOW_MS);
    TestTopics.produce(kafka.bootstrapServers(), second.records(FIRST, FIRST + SECOND));
    TestTopics.produce(
        kafka.bootstrapServers(), second.streamTimeAdvance(PARTITIONS, 3 * WINDOW_MS));
    // The new stream-time advances reuse the ids of the first, still waiting: they are
    // dead-lettered
    // as duplicates, not compensated.
    assertThat(compensatedIds(restarted, FIRST + PARTITIONS + SECOND))
        .as("every new prediction compensated")
        .containsAll(ids(FIRST, FIRST + SECOND));
    ErrorMemoryStore memory = awaitMemory(restarted);
    // The first run's stream-time advances were still waiting in the attribution buffer; they are
    // labelled now too.
    await("the new samples in the rebuilt memory")
        .atMost(Duration.ofMinutes(2))
        .until(() -> memory.samples() >= SECOND + PARTITIONS);
    assertThat(memory.samples())
        .as("what the recreated topic holds, nothing of the lost one")
        .isEqualTo(SECOND + PARTITIONS);
  }

  @Test
  void shouldReportTheFailureForTheProcessToExitWhenNoRestartIsAllowed() throws Exception {
    HindsightConfig config =
        lostSamplesScenario(
            "no-restarts", 0, System.currentTimeMillis() - Duration.ofDays(1).toMillis());

    HindsightService failing = start(config);
    await("the failure reported")
        .atMost(Duration.ofMinutes(2))
        .until(() -> failing.failure().isDone());
    assertThat(failing.isLive()).as("not live: the process is to exit").isFalse();
    assertThat(failing.isReady()).isFalse();
    assertThat(failing.supervisedStreams().get(0).starts()).isEqualTo(1);
  }

  /**
   * Runs a service over the first traffic until its memory holds it, stops it, and deletes the
   * labelled-samples topic (the service recreates it empty): the replica left behind has read to
   * offsets the cluster no longer has. Returns the configuration to start the service again with.
   */
  private HindsightConfig lostSamplesScenario(String name, int restarts, long start)
      throws Exception {
    Map<String, String> values = new HashMap<>();
    values.put(HindsightConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
    values.put(HindsightConfig.STATE_DIR, temporaryDirectory("hindsight-" + name).toString());
    values.put(HindsightConfig.STREAMS_RESTART_MAX_ATTEMPTS, Integer.toString(restarts));
    HindsightConfig config = config(name, values);

    HindsightService first = start(config);
    CompensationWorkload workload = workload(first, FIRST, start);
    TestTopics.produce(kafka.bootstrapServers(), workload.records(0, FIRST));
    TestTopics.produce(
        kafka.bootstrapServers(), workload.streamTimeAdvance(PARTITIONS, 3 * WINDOW_MS));
    ErrorMemoryStore memory = awaitMemory(first);
    await("the first samples in the memory")
        .atMost(Duration.ofMinutes(2))
        .until(() -> memory.samples() >= FIRST);
    stop(first);

    String samples = first.topics().labelledSamples().name();
    try (Admin admin =
        Admin.create(
            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      admin.deleteTopics(List.of(samples)).all().get();
      await("the labelled-samples topic gone")
          .atMost(Duration.ofMinutes(1))
          .until(() -> !admin.listTopics().names().get().contains(samples));
    }
    return config;
  }

  /** Predictions p0, p1, ... at {@code startMs} plus 20 ms each, over two models. */
  private static CompensationWorkload workload(
      HindsightService service, int predictions, long startMs) {
    return new CompensationWorkload(
        service.topics(), predictions, new int[] {16, 32}, startMs, 20, 13);
  }

  private static HindsightConfig config(String name, Map<String, String> values) {
    Map<String, String> all = new HashMap<>(values);
    all.put(HindsightConfig.APPLICATION_ID, name);
    all.put(HindsightConfig.TOPIC_PREFIX, name + ".");
    all.put(HindsightConfig.TOPIC_PARTITIONS, Integer.toString(PARTITIONS));
    all.put(HindsightConfig.HTTP_PORT, "0");
    all.put(HindsightConfig.COMPENSATION_ATTRIBUTION_WINDOW_MS, Long.toString(WINDOW_MS));
    all.put(HindsightConfig.STREAMS_RESTART_BACKOFF_MS, "200");
    // A closed client's member leaves the group after 6 s instead of 45, so a restart is not held
    // up by its own predecessor.
    all.put(HindsightConfig.KAFKA_PREFIX + "session.timeout.ms", "6000");
    all.put(HindsightConfig.KAFKA_PREFIX + "heartbeat.interval.ms", "1000");
    return HindsightConfig.load(null, Map.of(), all);
  }

  private HindsightService start(HindsightConfig config) {
    HindsightService service =
        HindsightService.start(
            config, (c, registry) -> List.of(new CompensationApp(c, registry)), line -> {});
    services.add(service);
    return service;
  }

  private void stop(HindsightService service) {
    service.close();
    services.remove(service);
  }

  private Path temporaryDirectory(String prefix) throws Exception {
    Path directory = Files.createTempDirectory(prefix);
    directories.add(directory);
    return directory;
  }

  private static ErrorMemoryStore awaitMemory(HindsightService service) {
    CompensationApp app = (CompensationApp) service.apps().get(0);
    await("memory replica open")
        .atMost(Duration.ofMinutes(2))
        .until(() -> app.memory().isPresent());
    return app.memory().orElseThrow();
  }

  private static double rebuilds(HindsightService service, String store, String reason) {
    Counter counter =
        service
            .registry()
            .find(StateRebuilds.METRIC)
            .tags("store", store, "reason", reason)
            .counter();
    return counter == null ? 0 : counter.count();
  }

  /** The request ids of the committed compensations, once at least {@code expected} are there. */
  private static Set<String> compensatedIds(HindsightService service, int expected) {
    List<ConsumerRecord<byte[], byte[]>> records =
        TestTopics.readCommitted(
            service.bootstrapServers(),
            service.topics().compensations().name(),
            expected,
            Duration.ofMinutes(2));
    return records.stream()
        .map(r -> new String(r.key(), StandardCharsets.UTF_8))
        .collect(Collectors.toSet());
  }

  private static Set<String> ids(int from, int to) {
    return IntStream.range(from, to).mapToObj(i -> "p" + i).collect(Collectors.toSet());
  }
}
