package io.hindsight.rewrite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hindsight.config.HindsightConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A replica loaded from its snapshot decides exactly what one that replayed the whole log does. */
class RewriteReplicaSnapshotTest {
  private static final String TOPIC = "reformulations";
  @TempDir Path global;

  private static RewriteLoopSettings settings(Map<String, String> overrides) {
    Map<String, String> values = new HashMap<>();
    values.put(HindsightConfig.BOOTSTRAP_SERVERS, "localhost:1");
    // Small enough that the log evicts cold states, so ids are reused after the snapshot.
    values.put(HindsightConfig.REWRITE_MAX_STATES, "150");
    values.put(HindsightConfig.REWRITE_STATE_HORIZON_MS, "60000");
    values.putAll(overrides);
    return RewriteLoopSettings.from(HindsightConfig.load(null, Map.of(), values));
  }

  private static RewriteReplica replay(RewriteLoopSettings settings, List<Reformulation> log) {
    RewriteReplica replica = new RewriteReplica(settings);
    replica.open();
    for (int offset = 0; offset < log.size(); offset++) {
      replica.apply(offset, log.get(offset).encode());
    }
    return replica;
  }

  private Path store() {
    return global.resolve(RewriteReplica.NAME);
  }

  /** A replica opened in the store directory that applied the log up to {@code until}. */
  private RewriteReplica persisted(
      RewriteLoopSettings settings, List<Reformulation> log, int until) {
    RewriteReplica replica = new RewriteReplica(settings);
    replica.open(store());
    for (int offset = 0; offset < until; offset++) {
      replica.apply(offset, log.get(offset).encode());
    }
    return replica;
  }

  @Test
  void shouldDecideAsAFullReplayAfterLoadingTheSnapshot() {
    RewriteLoopSettings settings = settings(Map.of());
    List<Reformulation> log = ReformulationLog.generate(7, 6_000, 12);
    RewriteReplica full = replay(settings, log);
    assertThat(full.evictedStates()).as("evictions in the log").isPositive();
    assertThat(full.liveRules()).as("rules in the log").isNotEmpty();

    for (int cut : new int[] {1, 1_234, 3_001, 5_999}) {
      RewriteReplica before = persisted(settings, log, cut);
      before.snapshot();
      before.close();

      RewriteReplica restored = new RewriteReplica(settings);
      restored.open(store());
      assertThat(restored.appliedOffset()).isEqualTo(cut - 1);
      assertThat(restored.changesAfter(0)).isEqualTo(replayed(settings, log, cut));
      // Streams delivers again from an older checkpoint: those records are skipped.
      for (int offset = Math.max(0, cut - 50); offset < log.size(); offset++) {
        restored.apply(offset, log.get(offset).encode());
      }
      assertThat(restored.skippedRecords()).isEqualTo(cut - Math.max(0, cut - 50));
      assertThat(restored.changesAfter(0))
          .as("changes after a cut at %d", cut)
          .isEqualTo(full.changesAfter(0));
      assertThat(restored.liveRules()).isEqualTo(full.liveRules());
      assertThat(restored.states()).isEqualTo(full.states());
      assertThat(restored.evictedStates()).isEqualTo(full.evictedStates());
      assertThat(restored.decisions()).isEqualTo(full.decisions());
      for (int family = 0; family < 12; family++) {
        String state = "plya song number " + family;
        assertThat(restored.eventualSuccess(state)).isEqualTo(full.eventualSuccess(state));
      }
      restored.close();
      io.hindsight.DataDirectory.delete(store());
    }
    // And the next decisions too: one more round over what both hold now.
    RewriteReplica restored = persisted(settings, log, log.size());
    restored.snapshot();
    restored.close();
    RewriteReplica again = new RewriteReplica(settings);
    again.open(store());
    again.decideNow();
    full.decideNow();
    assertThat(again.changesAfter(0)).isEqualTo(full.changesAfter(0));
  }

  private static List<RewriteReplica.SequencedChange> replayed(
      RewriteLoopSettings settings, List<Reformulation> log, int until) {
    return replay(settings, log.subList(0, until)).changesAfter(0);
  }

  @Test
  void shouldRefuseACorruptSnapshotAndRebuild() throws IOException {
    RewriteLoopSettings settings = settings(Map.of());
    List<Reformulation> log = ReformulationLog.generate(11, 2_000, 6);
    RewriteReplica replica = persisted(settings, log, log.size());
    replica.close(); // a clean close writes the snapshot
    Path file = store().resolve(RewriteReplica.SNAPSHOT);
    byte[] bytes = Files.readAllBytes(file);
    bytes[bytes.length / 2] ^= 0x10;
    Files.write(file, bytes);
    Files.writeString(
        global.resolve(".checkpoint_" + RewriteReplica.NAME), "0\n1\n" + TOPIC + " 0 2000\n");

    assertThat(new RewriteReplica(settings).prepareRecovery(global, TOPIC))
        .startsWith("corrupt: checksum mismatch");
    assertThat(file).doesNotExist();
    assertThat(global.resolve(".checkpoint_" + RewriteReplica.NAME)).doesNotExist();

    RewriteReplica rebuilt = persisted(settings, log, log.size());
    assertThat(rebuilt.changesAfter(0)).isEqualTo(replay(settings, log).changesAfter(0));
  }

  @Test
  void shouldFailToOpenFromASnapshotThatCannotBeParsed() throws IOException {
    RewriteLoopSettings settings = settings(Map.of());
    Path file = store().resolve(RewriteReplica.SNAPSHOT);
    Files.createDirectories(store());
    Files.write(file, new byte[] {1, 2, 3});
    assertThatThrownBy(() -> new RewriteReplica(settings).open(store()))
        .hasMessageContaining("cannot be loaded");
    assertThat(file).doesNotExist();
  }

  @Test
  void shouldRebuildWhenTheSettingsChanged() {
    List<Reformulation> log = ReformulationLog.generate(3, 500, 4);
    persisted(settings(Map.of()), log, log.size()).close();
    RewriteLoopSettings other = settings(Map.of(HindsightConfig.REWRITE_MARGIN, "0.3"));
    assertThat(new RewriteReplica(other).prepareRecovery(global, TOPIC))
        .startsWith("written under other settings");
    assertThat(store().resolve(RewriteReplica.SNAPSHOT)).doesNotExist();
  }

  @Test
  void shouldMoveACheckpointAheadOfTheSnapshotBackToIt() throws IOException {
    RewriteLoopSettings settings = settings(Map.of());
    List<Reformulation> log = ReformulationLog.generate(5, 1_000, 4);
    RewriteReplica replica = persisted(settings, log, 600);
    replica.snapshot(); // offset 599
    Path checkpoint = global.resolve(".checkpoint_" + RewriteReplica.NAME);
    Files.writeString(checkpoint, "0\n1\n" + TOPIC + " 0 1000\n");

    assertThat(new RewriteReplica(settings).prepareRecovery(global, TOPIC)).isNull();
    assertThat(
            new org.apache.kafka.streams.state.internals.OffsetCheckpoint(checkpoint.toFile())
                .read())
        .containsEntry(new org.apache.kafka.common.TopicPartition(TOPIC, 0), 600L);

    // A checkpoint behind the snapshot stays: those records are skipped on delivery.
    Files.writeString(checkpoint, "0\n1\n" + TOPIC + " 0 100\n");
    assertThat(new RewriteReplica(settings).prepareRecovery(global, TOPIC)).isNull();
    assertThat(
            new org.apache.kafka.streams.state.internals.OffsetCheckpoint(checkpoint.toFile())
                .read())
        .containsEntry(new org.apache.kafka.common.TopicPartition(TOPIC, 0), 100L);
  }
}
