package io.hindsight.rewrite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.hindsight.HindsightService;
import io.hindsight.cli.Apps;
import io.hindsight.config.HindsightConfig;
import io.hindsight.events.EventCodec;
import io.hindsight.testing.KafkaBroker;
import io.hindsight.testing.TestServices;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.state.internals.OffsetCheckpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A restarted rewrites app on a real broker: from its snapshot it holds and publishes exactly what
 * a replica that replayed the whole reformulations log does, whether the snapshot is the one its
 * clean close wrote, one behind Streams' checkpoint (a crash between the two), one ahead of it, or
 * corrupt (then it is rebuilt from the log).
 */
class ReplicaRestartIT {
  @RegisterExtension static final KafkaBroker kafka = new KafkaBroker();
  @RegisterExtension final TestServices services = new TestServices(kafka);

  private static final int FIRST = 3_000;
  private static final int SECOND = 2_000;
  private final List<Reformulation> log = ReformulationLog.generate(42, FIRST + SECOND, 10);

  private HindsightConfig config(String name) throws Exception {
    return services.config(
        name,
        Map.of(
            HindsightConfig.REWRITE_MAX_STATES, "150",
            HindsightConfig.REWRITE_STATE_HORIZON_MS, "60000",
            // Only the clean close and the tests write snapshots.
            HindsightConfig.REWRITE_SNAPSHOT_INTERVAL_MS, Long.toString(3_600_000)));
  }

  private HindsightService start(HindsightConfig config) {
    HindsightService service =
        services.start(config, (c, r) -> Apps.create(c, r, Apps.Selection.rewrites));
    await("rewrites app running").atMost(Duration.ofSeconds(120)).until(service::isReady);
    return service;
  }

  private static RewriteReplica replica(HindsightService service) {
    return ((RewriteApp) service.apps().get(0)).replica().orElseThrow();
  }

  private void produce(HindsightConfig config, int from, int to) {
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    for (Reformulation entry : log.subList(from, to)) {
      records.add(
          new ProducerRecord<>(
              config.getString(HindsightConfig.TOPIC_PREFIX) + "reformulations",
              entry.userId().getBytes(StandardCharsets.UTF_8),
              entry.encode()));
    }
    kafka.produce(config.getString(HindsightConfig.TOPIC_PREFIX) + "reformulations", records);
  }

  private static void awaitApplied(HindsightService service, int records) {
    await("replica applied " + records + " records")
        .atMost(Duration.ofSeconds(120))
        .until(() -> replica(service).appliedOffset() == records - 1);
  }

  private RewriteReplica fullReplay(HindsightConfig config, boolean keepEveryChange) {
    RewriteReplica replica = new RewriteReplica(RewriteLoopSettings.from(config), keepEveryChange);
    replica.open();
    for (int offset = 0; offset < log.size(); offset++) {
      replica.apply(offset, log.get(offset).encode());
    }
    return replica;
  }

  private static Path globalDir(HindsightConfig config) throws IOException {
    try (Stream<Path> paths = Files.walk(Path.of(config.getString(HindsightConfig.STATE_DIR)))) {
      return paths
          .filter(p -> p.getFileName().toString().equals(RewriteReplica.NAME))
          .findFirst()
          .orElseThrow()
          .getParent();
    }
  }

  /**
   * Runs the app over the first part of the log, calling {@code midway} half-way through, closes it
   * cleanly, and produces the rest of the log while it is down.
   */
  private HindsightConfig firstRun(
      String name, java.util.function.BiConsumer<HindsightConfig, RewriteReplica> midway)
      throws Exception {
    HindsightConfig config = config(name);
    HindsightService first = start(config);
    produce(config, 0, FIRST / 2);
    awaitApplied(first, FIRST / 2);
    midway.accept(config, replica(first));
    produce(config, FIRST / 2, FIRST);
    awaitApplied(first, FIRST);
    // Stop once the first run has published some changes: the restart must publish the rest.
    String rewrites = config.getString(HindsightConfig.TOPIC_PREFIX) + "rewrites";
    await("first changes published")
        .atMost(Duration.ofSeconds(60))
        .until(() -> !kafka.consume(rewrites, 1, Duration.ofSeconds(2)).isEmpty());
    first.close();
    produce(config, FIRST, FIRST + SECOND);
    return config;
  }

  /** The restarted app holds and publishes what the full replay does. */
  private void assertEqualsFullReplay(HindsightConfig config, HindsightService restarted) {
    awaitApplied(restarted, FIRST + SECOND);
    RewriteReplica replica = replica(restarted);
    RewriteReplica full = fullReplay(config, false);
    assertThat(replica.changesAfter(0)).isEqualTo(full.changesAfter(0));
    assertThat(replica.liveRules()).isEqualTo(full.liveRules()).isNotEmpty();
    assertThat(replica.states()).isEqualTo(full.states());
    assertThat(replica.evictedStates()).isEqualTo(full.evictedStates());

    // Every change published once, in the log's order per source: none lost, repeated or invented.
    // The topic is compacted, so older values of a source may be gone: what is left of each
    // source's changes must be an ordered subsequence of the replay's, ending with its last; and
    // the publisher's own record of the last sequence published must be the replay's last.
    List<String> expected =
        fullReplay(config, true).changesAfter(0).stream()
            .map(
                c ->
                    c.change().source()
                        + "->"
                        + (c.change().isTombstone()
                            ? "retracted"
                            : c.change().rule().target() + "@" + c.change().rule().version()))
            .toList();
    String rewrites = config.getString(HindsightConfig.TOPIC_PREFIX) + "rewrites";
    String publishedSequence =
        config.getString(HindsightConfig.APPLICATION_ID)
            + "-rewrites-"
            + SessionProcessor.PUBLISHED_STORE
            + "-changelog";
    await("every rule change published")
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofSeconds(1))
        .untilAsserted(
            () -> {
              List<String> published = new ArrayList<>();
              for (ConsumerRecord<byte[], byte[]> r :
                  kafka.consume(rewrites, expected.size(), Duration.ofSeconds(3))) {
                JsonNode value = r.value() == null ? null : EventCodec.JSON.readTree(r.value());
                published.add(
                    new String(r.key(), StandardCharsets.UTF_8)
                        + "->"
                        + (value == null
                            ? "retracted"
                            : value.path("target").asText()
                                + "@"
                                + value.path("version").asLong()));
              }
              Map<String, List<String>> want = bySource(expected);
              Map<String, List<String>> got = bySource(published);
              assertThat(got.keySet()).isEqualTo(want.keySet());
              want.forEach(
                  (source, changes) -> {
                    List<String> left = got.get(source);
                    assertThat(left.get(left.size() - 1))
                        .as("last change of %s", source)
                        .isEqualTo(changes.get(changes.size() - 1));
                    assertThat(changes).as("changes of %s", source).containsSubsequence(left);
                  });
              List<ConsumerRecord<byte[], byte[]>> sequence =
                  kafka.consume(publishedSequence, Integer.MAX_VALUE, Duration.ofSeconds(3));
              assertThat(sequence).isNotEmpty();
              assertThat(
                      org.apache.kafka.common.serialization.Serdes.Long()
                          .deserializer()
                          .deserialize(
                              publishedSequence, sequence.get(sequence.size() - 1).value()))
                  .as("last sequence published")
                  .isEqualTo((long) expected.size());
            });

    // The next decision too.
    replica.decideNow();
    full.decideNow();
    assertThat(replica.changesAfter(0)).isEqualTo(full.changesAfter(0));
  }

  private static Map<String, List<String>> bySource(List<String> changes) {
    Map<String, List<String>> grouped = new java.util.TreeMap<>();
    for (String change : changes) {
      String source = change.substring(0, change.indexOf("->"));
      grouped.computeIfAbsent(source, k -> new ArrayList<>()).add(change);
    }
    return grouped;
  }

  @Test
  void shouldRestartFromTheSnapshotAsAFullReplayWould() throws Exception {
    HindsightConfig config = firstRun("rrs-clean", (c, replica) -> {});
    assertThat(globalDir(config).resolve(RewriteReplica.NAME).resolve(RewriteReplica.SNAPSHOT))
        .exists();

    HindsightService restarted = start(config);
    assertThat(replica(restarted).loadedOffset()).isEqualTo(FIRST - 1);
    assertThat(replica(restarted).skippedRecords()).isZero();
    assertEqualsFullReplay(config, restarted);
  }

  @Test
  void shouldRestoreFromASnapshotBehindTheCheckpoint() throws Exception {
    byte[][] midway = new byte[1][];
    HindsightConfig config =
        firstRun(
            "rrs-behind",
            (c, replica) -> {
              // A snapshot half-way, then a crash after Streams checkpointed further: the snapshot
              // on disk is this one while the checkpoint is at the end of the first part.
              replica.snapshot();
              try {
                Path file =
                    globalDir(c).resolve(RewriteReplica.NAME).resolve(RewriteReplica.SNAPSHOT);
                midway[0] = Files.readAllBytes(file);
              } catch (IOException e) {
                throw new IllegalStateException(e);
              }
            });
    Path global = globalDir(config);
    Files.write(global.resolve(RewriteReplica.NAME).resolve(RewriteReplica.SNAPSHOT), midway[0]);
    assertThat(checkpointOf(config)).isEqualTo(FIRST);

    HindsightService restarted = start(config);
    assertThat(replica(restarted).loadedOffset()).isEqualTo(FIRST / 2 - 1);
    assertThat(replica(restarted).skippedRecords()).isZero();
    assertEqualsFullReplay(config, restarted);
  }

  @Test
  void shouldSkipWhatTheSnapshotHoldsWhenTheCheckpointIsBehindIt() throws Exception {
    HindsightConfig config = firstRun("rrs-ahead", (c, replica) -> {});
    Path checkpoint = checkpointFile(config);
    TopicPartition log =
        new TopicPartition(config.getString(HindsightConfig.TOPIC_PREFIX) + "reformulations", 0);
    new OffsetCheckpoint(checkpoint.toFile()).write(Map.of(log, 100L));

    HindsightService restarted = start(config);
    assertThat(replica(restarted).loadedOffset()).isEqualTo(FIRST - 1);
    assertThat(replica(restarted).skippedRecords()).isEqualTo(FIRST - 100);
    assertEqualsFullReplay(config, restarted);
  }

  @Test
  void shouldRebuildFromTheLogWhenTheSnapshotIsCorrupt() throws Exception {
    HindsightConfig config = firstRun("rrs-corrupt", (c, replica) -> {});
    Path file = globalDir(config).resolve(RewriteReplica.NAME).resolve(RewriteReplica.SNAPSHOT);
    byte[] bytes = Files.readAllBytes(file);
    bytes[bytes.length / 3] ^= 0x01;
    Files.write(file, bytes);

    HindsightService restarted = start(config);
    assertThat(replica(restarted).loadedOffset()).isEqualTo(-1);
    assertThat(replica(restarted).skippedRecords()).isZero();
    assertEqualsFullReplay(config, restarted);
  }

  private static Path checkpointFile(HindsightConfig config) throws IOException {
    Path global = globalDir(config);
    return Stream.of(".checkpoint_" + RewriteReplica.NAME, ".checkpoint")
        .map(global::resolve)
        .filter(Files::exists)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no Streams checkpoint in " + global));
  }

  private static long checkpointOf(HindsightConfig config) throws IOException {
    return new OffsetCheckpoint(checkpointFile(config).toFile())
        .read()
        .get(
            new TopicPartition(
                config.getString(HindsightConfig.TOPIC_PREFIX) + "reformulations", 0));
  }
}
