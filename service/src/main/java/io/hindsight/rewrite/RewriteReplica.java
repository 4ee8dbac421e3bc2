package io.hindsight.rewrite;

import io.hindsight.DataDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.state.internals.OffsetCheckpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link ChainReplica} as this service's Kafka Streams global store, fed by {@link
 * ReplicaWriter}, with its snapshot in the store's directory; the embeddable client replays the
 * same log into the same class. Thread-safe.
 */
public final class RewriteReplica extends ChainReplica implements StateStore {
  private static final Logger log = LoggerFactory.getLogger(RewriteReplica.class);

  public RewriteReplica(RewriteLoopSettings settings) {
    super(settings);
  }

  /** See {@link ChainReplica#ChainReplica(RewriteLoopSettings, boolean)}. */
  public RewriteReplica(RewriteLoopSettings settings, boolean keepEveryChange) {
    super(settings, keepEveryChange);
  }

  @Override
  public void init(StateStoreContext context, StateStore root) {
    open(context.stateDir().toPath().resolve(NAME));
    context.register(
        root,
        (key, value) -> {
          throw new IllegalStateException("The chain replica is restored through its processor");
        });
  }

  /** Streams commits: a snapshot once {@code rewrite.snapshot.interval.ms} has passed. */
  @Override
  public void commit(Map<TopicPartition, Long> changelogOffsets) {
    maybeSnapshot(false);
  }

  /**
   * Before Kafka Streams starts: keeps the snapshot under {@code globalStateDir} if it can be used,
   * and makes Streams restore the log from just after it. Without a usable snapshot, deletes it and
   * Streams' checkpoints so that the replica is rebuilt from the beginning of {@code topic}; with
   * one behind Streams' checkpoint (the process stopped between a checkpoint and the next
   * snapshot), moves the checkpoint back to the snapshot. A checkpoint behind the snapshot is left:
   * the records between are skipped.
   *
   * @return why the replica is rebuilt from the beginning of the log, or null when it is not (or
   *     there was nothing to rebuild)
   */
  public String prepareRecovery(Path globalStateDir, String topic) {
    Path file = globalStateDir.resolve(NAME).resolve(SNAPSHOT);
    List<Path> checkpoints =
        List.of(
            globalStateDir.resolve(".checkpoint"), globalStateDir.resolve(".checkpoint_" + NAME));
    String problem;
    long[] offset = {-1};
    if (!Files.exists(file)) {
      problem = "no snapshot";
    } else {
      problem = incompatibility(file, offset);
    }
    if (problem != null) {
      boolean anything = Files.exists(file) || checkpoints.stream().anyMatch(Files::exists);
      DataDirectory.delete(file);
      checkpoints.forEach(DataDirectory::delete);
      if (!anything) {
        return null; // a first start: nothing to rebuild
      }
      log.warn(
          "Rewrite replica snapshot in {} not used ({}); rebuilding the replica from Kafka",
          file.getParent(),
          problem);
      return problem;
    }
    for (Path checkpoint : checkpoints) {
      if (!Files.exists(checkpoint)) {
        continue;
      }
      try {
        OffsetCheckpoint offsets = new OffsetCheckpoint(checkpoint.toFile());
        Map<TopicPartition, Long> read = new HashMap<>(offsets.read());
        boolean moved = false;
        for (Map.Entry<TopicPartition, Long> entry : read.entrySet()) {
          if (entry.getKey().topic().equals(topic) && entry.getValue() > offset[0] + 1) {
            log.info(
                "Rewrite replica snapshot at offset {} is behind Streams' checkpoint {} of {};"
                    + " restoring from the snapshot",
                offset[0],
                entry.getValue(),
                entry.getKey());
            entry.setValue(offset[0] + 1);
            moved = true;
          }
        }
        if (moved) {
          offsets.write(read);
        }
      } catch (IOException | RuntimeException e) {
        // Without a checkpoint Streams restores from the beginning; the snapshot's records are
        // skipped.
        log.warn("Cannot read {} ({}); deleting it", checkpoint, e.toString());
        DataDirectory.delete(checkpoint);
      }
    }
    return null;
  }

  @Override
  public Position getPosition() {
    return Position.emptyPosition();
  }
}
