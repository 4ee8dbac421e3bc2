package io.hindsight.recovery;

import io.hindsight.DataDirectory;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds a state directory to the Kafka cluster its contents were read from, by the cluster id in a
 * small file inside it. Contents read from another cluster hold offsets and samples of topics that
 * cluster never had: read as they are, stores resume from offsets beyond the new logs' ends and
 * replicas skip new records as applied already. {@link #claim} discards them before Kafka Streams
 * opens the directory, so everything is rebuilt from what the new cluster holds. Call it before any
 * Kafka Streams client of the directory starts; not thread-safe.
 */
public final class ClusterStamp {
  static final String FILE = "hindsight-cluster-id";
  private static final Logger log = LoggerFactory.getLogger(ClusterStamp.class);

  /** What {@link #claim} found in the state directory. */
  public enum Claim {
    /** Nothing there yet. */
    EMPTY,
    /** State read from this cluster. */
    SAME_CLUSTER,
    /**
     * State without a stamp (written before stamps existed): kept. Offsets it has that the cluster
     * lacks still rebuild their stores when Kafka Streams meets them.
     */
    UNSTAMPED,
    /** State read from another cluster: discarded. */
    OTHER_CLUSTER_DISCARDED
  }

  private ClusterStamp() {}

  /**
   * Makes {@code stateDirectory} belong to cluster {@code clusterId}, discarding its contents if
   * they were read from another cluster (logged, and counted in {@link StateRebuilds}).
   */
  public static Claim claim(Path stateDirectory, String clusterId, MeterRegistry registry) {
    try {
      Files.createDirectories(stateDirectory);
      Path stamp = stateDirectory.resolve(FILE);
      List<Path> contents = contents(stateDirectory);
      Claim claim;
      if (Files.exists(stamp)) {
        String recorded = Files.readString(stamp, StandardCharsets.UTF_8).trim();
        if (recorded.equals(clusterId)) {
          return Claim.SAME_CLUSTER;
        }
        log.warn(
            "State directory {} was read from Kafka cluster {}, not from this cluster {}: discarding"
                + " it ({}) and rebuilding every store from what cluster {} holds",
            stateDirectory,
            recorded,
            clusterId,
            describe(contents),
            clusterId);
        contents.forEach(DataDirectory::delete);
        StateRebuilds.count(registry, StateRebuilds.ALL_STORES, StateRebuilds.OTHER_CLUSTER);
        claim = Claim.OTHER_CLUSTER_DISCARDED;
      } else if (contents.isEmpty()) {
        claim = Claim.EMPTY;
      } else {
        log.info(
            "State directory {} has no cluster stamp; keeping it as read from cluster {}",
            stateDirectory,
            clusterId);
        claim = Claim.UNSTAMPED;
      }
      write(stamp, clusterId);
      return claim;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot check the cluster of " + stateDirectory, e);
    }
  }

  private static List<Path> contents(Path directory) throws IOException {
    try (Stream<Path> entries = Files.list(directory)) {
      return entries.filter(p -> !p.getFileName().toString().startsWith(FILE)).sorted().toList();
    }
  }

  /** What is lost, for the log: each top-level entry and its size (apparent: files are sparse). */
  private static String describe(List<Path> contents) {
    if (contents.isEmpty()) {
      return "nothing in it";
    }
    return contents.stream()
        .map(p -> p.getFileName() + ": " + DataDirectory.size(p) / (1024 * 1024) + " MiB")
        .collect(Collectors.joining(", "));
  }

  private static void write(Path stamp, String clusterId) throws IOException {
    Path temporary = stamp.resolveSibling(FILE + ".tmp");
    Files.writeString(temporary, clusterId + "\n", StandardCharsets.UTF_8);
    Files.move(
        temporary, stamp, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
