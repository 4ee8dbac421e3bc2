package io.hindsight.compensation;

import io.hindsight.memory.ErrorMemories;
import io.hindsight.memory.ErrorMemory;
import io.hindsight.memory.LabelledSample;
import io.hindsight.memory.Readout;
import io.hindsight.memory.SketchSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntFunction;
import java.util.stream.Stream;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replicated error memory as a Kafka Streams global store: one ReLoop2 memory per (model,
 * version), fed by the labelled-samples topic, read locally by every prediction. Kafka is the
 * source of truth and these files are its cache: the {@link ReplicaManifest} records the offsets
 * applied, so a record delivered again (a restart, a restore) is never counted twice, and a replica
 * interrupted mid-write is wiped by {@link #prepareRecovery} and rebuilt from the topic.
 * Thread-safe: the global thread writes, stream threads and the HTTP endpoint read. Reads and
 * writes share one lock, and a read-write lock would not help: a memory reuses scratch space on
 * every call, so even two reads must not overlap.
 */
public final class ErrorMemoryStore implements StateStore, AutoCloseable {
  public static final String NAME = "compensation-error-memory";
  private static final Logger log = LoggerFactory.getLogger(ErrorMemoryStore.class);
  private static final String MANIFEST = "manifest";

  private final String kind;
  private final IntFunction<SketchSettings> settingsForDimension;
  private final long versionExpiryMs;
  private final Map<String, Replica> replicas = new LinkedHashMap<>();
  private final ReentrantLock lock = new ReentrantLock();
  private Path directory;
  private ReplicaManifest manifest;
  private volatile long applied;
  private volatile long skippedDuplicates;
  private volatile long rejectedDimension;
  private volatile boolean open;

  private static final class Replica {
    final String modelId;
    final Path directory;
    final ErrorMemory memory;
    final int dimension;
    long firstWrite = Long.MAX_VALUE;

    Replica(String modelId, Path directory, ErrorMemory memory, int dimension) {
      this.modelId = modelId;
      this.directory = directory;
      this.memory = memory;
      this.dimension = dimension;
    }
  }

  /**
   * @param kind the memory layout ({@link ErrorMemories})
   * @param settingsForDimension the sketch settings for a model whose keys have this dimension
   */
  public ErrorMemoryStore(
      String kind, IntFunction<SketchSettings> settingsForDimension, long versionExpiryMs) {
    this.kind = kind;
    this.settingsForDimension = settingsForDimension;
    this.versionExpiryMs = versionExpiryMs;
  }

  /**
   * Before Kafka Streams starts: if the replica under {@code globalStateDir} cannot be trusted (a
   * write was interrupted, or files are missing), delete it and Streams' global checkpoint, so the
   * store is rebuilt from the beginning of the labelled-samples topic.
   *
   * @return true when a rebuild was arranged
   */
  public boolean prepareRecovery(Path globalStateDir) {
    Path dir = globalStateDir.resolve(NAME);
    List<Path> checkpoints = streamsCheckpoints(globalStateDir);
    boolean trustworthy;
    if (!Files.exists(dir.resolve(MANIFEST))) {
      trustworthy = checkpoints.stream().noneMatch(Files::exists);
    } else {
      try (ReplicaManifest manifest = ReplicaManifest.open(dir.resolve(MANIFEST))) {
        trustworthy =
            !kind.equals(ErrorMemories.ON_HEAP)
                && !manifest.interruptedMidWrite()
                && memoriesClean(dir);
      }
    }
    if (trustworthy) {
      return false;
    }
    log.warn("Error memory replica in {} cannot be trusted; rebuilding it from Kafka", dir);
    io.hindsight.DataDirectory.delete(dir);
    checkpoints.forEach(io.hindsight.DataDirectory::delete);
    return true;
  }

  /**
   * Where Kafka Streams records the labelled-samples offsets the global store has reached: one file
   * per store since Kafka 4.4, one for all global stores before (migrated on start). Without them
   * the store is restored from the beginning of the topic.
   */
  static List<Path> streamsCheckpoints(Path globalStateDir) {
    return List.of(
        globalStateDir.resolve(".checkpoint"), globalStateDir.resolve(".checkpoint_" + NAME));
  }

  /** Opens each memory once to learn whether it was closed cleanly. */
  private boolean memoriesClean(Path dir) {
    try (Stream<Path> entries = Files.list(dir)) {
      for (Path memoryDir : entries.filter(Files::isDirectory).toList()) {
        MemoryMetadata metadata = MemoryMetadata.read(memoryDir);
        if (metadata == null) {
          return false;
        }
        try (ErrorMemory memory =
            ErrorMemories.open(kind, settingsForDimension.apply(metadata.dimension()), memoryDir)) {
          if (memory.needsRebuild()) {
            return false;
          }
        }
      }
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void init(StateStoreContext context, StateStore root) {
    directory = context.stateDir().toPath().resolve(NAME);
    try {
      Files.createDirectories(directory);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    manifest = ReplicaManifest.open(directory.resolve(MANIFEST));
    reopenMemories();
    context.register(
        root,
        (key, value) -> {
          throw new IllegalStateException("The error memory is restored through its processor");
        });
    open = true;
  }

  /** For tests and tools outside Kafka Streams: opens the store in a directory. */
  public void open(Path storeDirectory) {
    directory = storeDirectory;
    try {
      Files.createDirectories(directory);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    manifest = ReplicaManifest.open(directory.resolve(MANIFEST));
    reopenMemories();
    open = true;
  }

  private void reopenMemories() {
    try (Stream<Path> entries = Files.list(directory)) {
      for (Path memoryDir : entries.filter(Files::isDirectory).sorted().toList()) {
        MemoryMetadata metadata = MemoryMetadata.read(memoryDir);
        if (metadata == null) {
          throw new IllegalStateException(
              memoryDir + " has no metadata; delete the state to rebuild");
        }
        ErrorMemory memory =
            ErrorMemories.open(kind, settingsForDimension.apply(metadata.dimension()), memoryDir);
        Replica replica = new Replica(metadata.modelId(), memoryDir, memory, metadata.dimension());
        replica.firstWrite = metadata.firstWrite();
        replicas.put(metadata.name(), replica);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot list " + directory, e);
    }
  }

  /**
   * Applies one labelled sample delivered from {@code partition} at {@code offset}, unless that
   * record was applied already.
   *
   * @return false when skipped (already applied, or a dimension that differs from the model's)
   */
  public boolean apply(int partition, long offset, Sample sample) {
    lock.lock();
    try {
      if (manifest.applied(partition, offset)) {
        skippedDuplicates++;
        return false;
      }
      manifest.beginApply(partition, offset);
      boolean written = write(sample);
      manifest.endApply(partition, offset);
      applied++;
      return written;
    } finally {
      lock.unlock();
    }
  }

  private boolean write(Sample sample) {
    String name = sample.memoryName();
    Replica replica = replicas.get(name);
    if (replica == null) {
      replica = create(name, sample);
    }
    if (replica.dimension != sample.key().length) {
      rejectedDimension++;
      return false;
    }
    if (!sample.labelled()) {
      return true; // a dimension declaration: the memory exists now, nothing to write
    }
    if (sample.timestamp() < replica.firstWrite) {
      replica.firstWrite = sample.timestamp();
      new MemoryMetadata(name, replica.modelId, replica.dimension, replica.firstWrite)
          .write(replica.directory);
    }
    replica.memory.write(
        new LabelledSample(sample.key(), sample.label(), sample.score(), sample.timestamp()));
    expireOlderVersions(replica, sample.timestamp());
    return true;
  }

  private Replica create(String name, Sample sample) {
    int dimension = sample.key().length;
    Path memoryDir = directory.resolve(URLEncoder.encode(name, StandardCharsets.UTF_8));
    new MemoryMetadata(name, sample.modelId(), dimension, Long.MAX_VALUE).write(memoryDir);
    ErrorMemory memory = ErrorMemories.open(kind, settingsForDimension.apply(dimension), memoryDir);
    Replica replica = new Replica(sample.modelId(), memoryDir, memory, dimension);
    replicas.put(name, replica);
    log.info("New error memory for {} (dimension {})", name, dimension);
    return replica;
  }

  /** Drops a model's older versions once a newer one has been written for the expiry time. */
  private void expireOlderVersions(Replica newest, long now) {
    if (now - newest.firstWrite < versionExpiryMs) {
      return;
    }
    replicas
        .entrySet()
        .removeIf(
            entry -> {
              Replica other = entry.getValue();
              boolean expired =
                  other != newest
                      && other.modelId.equals(newest.modelId)
                      && other.firstWrite < newest.firstWrite;
              if (expired) {
                log.info("Error memory {} expired", entry.getKey());
                other.memory.close();
                io.hindsight.DataDirectory.delete(other.directory);
              }
              return expired;
            });
  }

  /** Reads the memory of this model version; empty when it has none (yet, or any more). */
  public Optional<Readout> read(
      String modelId, String modelVersion, float[] key, double score, long timestamp) {
    lock.lock();
    try {
      Replica replica = replicas.get(Sample.memoryName(modelId, modelVersion));
      if (replica == null || replica.dimension != key.length) {
        return Optional.empty();
      }
      return Optional.of(replica.memory.read(key, score, timestamp));
    } finally {
      lock.unlock();
    }
  }

  /** The key dimension established for a model version, if it has a memory. */
  public OptionalInt dimension(String modelId, String modelVersion) {
    lock.lock();
    try {
      Replica replica = replicas.get(Sample.memoryName(modelId, modelVersion));
      return replica == null ? OptionalInt.empty() : OptionalInt.of(replica.dimension);
    } finally {
      lock.unlock();
    }
  }

  /** A memory's sample count and the hash of all its buckets ({@link ErrorMemory#contentHash}). */
  public record Fingerprint(long samples, long contentHash) {}

  /** Per memory, by name: a cheap way to compare replicas; {@link #sameContents} is exact. */
  public Map<String, Fingerprint> fingerprint() {
    lock.lock();
    try {
      Map<String, Fingerprint> fingerprint = new java.util.TreeMap<>();
      replicas.forEach(
          (name, replica) ->
              fingerprint.put(
                  name, new Fingerprint(replica.memory.samples(), replica.memory.contentHash())));
      return fingerprint;
    } finally {
      lock.unlock();
    }
  }

  public long samples() {
    lock.lock();
    try {
      return replicas.values().stream().mapToLong(r -> r.memory.samples()).sum();
    } finally {
      lock.unlock();
    }
  }

  public long bucketsInUse() {
    lock.lock();
    try {
      return replicas.values().stream().mapToLong(r -> r.memory.bucketsInUse()).sum();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Whether {@code other} holds exactly the same memories, compared bucket for bucket ({@link
   * ErrorMemory#sameContents}), with the same sample counts and dimensions.
   */
  public boolean sameContents(ErrorMemoryStore other) {
    lock.lock();
    other.lock.lock();
    try {
      if (!replicas.keySet().equals(other.replicas.keySet())) {
        return false;
      }
      for (Map.Entry<String, Replica> entry : replicas.entrySet()) {
        Replica mine = entry.getValue();
        Replica theirs = other.replicas.get(entry.getKey());
        if (mine.dimension != theirs.dimension
            || mine.memory.samples() != theirs.memory.samples()
            || !mine.memory.sameContents(theirs.memory)) {
          return false;
        }
      }
      return true;
    } finally {
      other.lock.unlock();
      lock.unlock();
    }
  }

  public int memories() {
    return replicas.size();
  }

  /** Labelled-samples records applied since this store was opened (duplicates not included). */
  public long appliedSinceOpen() {
    return applied;
  }

  /** Records delivered again after they had been applied, and skipped. */
  public long skippedDuplicates() {
    return skippedDuplicates;
  }

  public long rejectedDimension() {
    return rejectedDimension;
  }

  /**
   * Deliberately no msync: the replica is a cache of Kafka, and a replica that did not close
   * cleanly is rebuilt from the topic whatever reached the disk, so forcing pages out at every
   * commit would only cost I/O. {@link #close()} makes the files durable.
   */
  @Override
  public void flush() {}

  @Override
  public void close() {
    lock.lock();
    try {
      if (!open) {
        return;
      }
      open = false;
      replicas.values().forEach(r -> r.memory.close());
      replicas.clear();
      manifest.close();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public boolean persistent() {
    return true;
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  @Override
  public org.apache.kafka.streams.query.Position getPosition() {
    return org.apache.kafka.streams.query.Position.emptyPosition();
  }
}
