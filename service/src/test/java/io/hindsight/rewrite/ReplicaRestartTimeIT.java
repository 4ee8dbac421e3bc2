package io.hindsight.rewrite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.hindsight.HindsightService;
import io.hindsight.cli.Apps;
import io.hindsight.config.HindsightConfig;
import io.hindsight.testing.KafkaBroker;
import io.hindsight.testing.TestServices;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Time to ready of the rewrites app at a given number of states: first start over the whole
 * reformulations log (a full replay), then a restart from the snapshot its clean close wrote. Runs
 * only when asked: {@code -Dhindsight.restart.states=1000000} (each chain adds two states).
 */
class ReplicaRestartTimeIT {
  @RegisterExtension static final KafkaBroker kafka = new KafkaBroker();
  @RegisterExtension final TestServices services = new TestServices(kafka);

  @Test
  void shouldRestartFromTheSnapshotFasterThanAFullReplay() throws Exception {
    int states = Integer.getInteger("hindsight.restart.states", 0);
    assumeTrue(states > 0, "set -Dhindsight.restart.states to measure");
    HindsightConfig config =
        services.config(
            "rrt", Map.of(HindsightConfig.REWRITE_MAX_STATES, Integer.toString(states + 1_000)));
    String topic = config.getString(HindsightConfig.TOPIC_PREFIX) + "reformulations";

    HindsightService empty = start(config);
    empty.close();
    int records = produce(topic, states);
    Directories.deleteState(config);

    long replayStarted = System.nanoTime();
    HindsightService replay = start(config, records);
    double replaySeconds = (System.nanoTime() - replayStarted) / 1e9;
    double replayReplicaSeconds = replicaReadyNanos / 1e9;
    RewriteReplica replayed = replica(replay);
    assertThat(replayed.appliedOffset()).isEqualTo(records - 1);
    int held = replayed.states();
    List<RewriteReplica.SequencedChange> changes = replayed.changesAfter(0);
    long closeStarted = System.nanoTime();
    replay.close();
    double closeSeconds = (System.nanoTime() - closeStarted) / 1e9;
    long snapshotBytes = Files.size(snapshot(config));

    long restartStarted = System.nanoTime();
    HindsightService restart = start(config, records);
    double restartSeconds = (System.nanoTime() - restartStarted) / 1e9;
    double restartReplicaSeconds = replicaReadyNanos / 1e9;
    RewriteReplica restored = replica(restart);
    assertThat(restored.loadedOffset()).isEqualTo(records - 1);
    assertThat(restored.states()).isEqualTo(held);
    assertThat(restored.changesAfter(0)).isEqualTo(changes);
    System.out.printf(
        "replica-restart: %,d records, %,d states, %,d rule changes; full replay: replica %.1f s,"
            + " app running %.1f s; close with snapshot %.1f s (%,d MB); restart from snapshot:"
            + " replica %.1f s, app running %.1f s; replica ready %.1fx faster%n",
        records,
        held,
        changes.size(),
        replayReplicaSeconds,
        replaySeconds,
        closeSeconds,
        snapshotBytes >> 20,
        restartReplicaSeconds,
        restartSeconds,
        replayReplicaSeconds / restartReplicaSeconds);
    restart.close();
  }

  /** From the start to the replica holding every record, in the last {@link #start}. */
  private long replicaReadyNanos;

  private HindsightService start(HindsightConfig config) {
    return start(config, 0);
  }

  /**
   * Starts the app; with {@code records}, first waits for its replica to hold them all (the global
   * store restored: what the snapshot saves), then for the app to run (which also waits for the
   * consumer group: a member of the previous run is only dropped after its session timeout).
   */
  private HindsightService start(HindsightConfig config, int records) {
    long started = System.nanoTime();
    HindsightService service =
        services.start(config, (c, r) -> Apps.create(c, r, Apps.Selection.rewrites));
    if (records > 0) {
      RewriteApp app = (RewriteApp) service.apps().get(0);
      await("replica restored")
          .atMost(Duration.ofMinutes(30))
          .pollInterval(Duration.ofMillis(20))
          .until(() -> app.replica().map(r -> r.appliedOffset() == records - 1).orElse(false));
      replicaReadyNanos = System.nanoTime() - started;
    }
    await("rewrites app running")
        .atMost(Duration.ofMinutes(30))
        .pollInterval(Duration.ofMillis(50))
        .until(service::isReady);
    return service;
  }

  private static RewriteReplica replica(HindsightService service) {
    return ((RewriteApp) service.apps().get(0)).replica().orElseThrow();
  }

  /**
   * Chains of two utterances said once each (the long tail), and one in twenty a misspelling of one
   * of 500 requests corrected by the user (the rules). Returns the records produced.
   */
  private static int produce(String topic, int states) {
    java.util.Random random = new java.util.Random(1);
    long t = 1_600_000_000_000L;
    int records = 0;
    List<ProducerRecord<byte[], byte[]>> batch = new ArrayList<>();
    for (int tail = 0; tail < states / 2; records++) {
      t += 20;
      String user = "user-" + random.nextInt(50_000);
      Reformulation entry;
      if (records % 20 == 0) {
        int family = random.nextInt(500);
        entry =
            Reformulation.chain(
                user,
                t,
                List.of("plya song number " + family, "play song number " + family),
                random.nextDouble() < 0.9);
      } else {
        entry =
            Reformulation.chain(
                user,
                t,
                List.of("rare request " + tail + " a", "rare request " + tail + " b"),
                random.nextBoolean());
        tail++;
      }
      batch.add(new ProducerRecord<>(topic, user.getBytes(StandardCharsets.UTF_8), entry.encode()));
      if (batch.size() == 50_000) {
        kafka.produce(topic, batch);
        batch.clear();
      }
    }
    kafka.produce(topic, batch);
    return records;
  }

  private static Path snapshot(HindsightConfig config) throws Exception {
    try (Stream<Path> paths = Files.walk(Path.of(config.getString(HindsightConfig.STATE_DIR)))) {
      return paths
          .filter(p -> p.getFileName().toString().equals(RewriteReplica.SNAPSHOT))
          .findFirst()
          .orElseThrow();
    }
  }

  /** Deleting a state directory's contents: the next start replays the whole log. */
  private static final class Directories {
    static void deleteState(HindsightConfig config) throws Exception {
      Path root = Path.of(config.getString(HindsightConfig.STATE_DIR));
      try (Stream<Path> children = Files.list(root)) {
        children.forEach(io.hindsight.DataDirectory::delete);
      }
    }
  }
}
