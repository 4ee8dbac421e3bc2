package io.hindsight.compensation;

import io.hindsight.memory.CompensationScores;
import io.hindsight.memory.ErrorMemories;
import io.hindsight.memory.ErrorMemory;
import io.hindsight.memory.FieldCompensator;
import io.hindsight.memory.FieldEstimate;
import io.hindsight.memory.FieldMemories;
import io.hindsight.memory.FieldMemory;
import io.hindsight.memory.FieldMemorySettings;
import io.hindsight.memory.LabelledSample;
import io.hindsight.memory.Readout;
import io.hindsight.memory.SketchSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replicated error memory as a Kafka Streams global store: per (model, version) one ReLoop2
 * sketch, one {@link FieldMemory} per declared field and one {@link FieldCompensator} (the learned
 * blend and its guard), fed by the labelled-samples topic, read locally by every prediction. Kafka
 * is the source of truth and these files are its cache: the {@link ReplicaManifest} records the
 * offsets applied, so a record delivered again (a restart, a restore) is never counted twice, and a
 * replica interrupted mid-write is wiped by {@link #prepareRecovery} and rebuilt from the topic.
 * Thread-safe: the global thread writes, stream threads and the HTTP endpoint read. Everything
 * takes one exclusive lock except lookups ({@link #peek}), which share it: they change nothing (a
 * peek is not a use of a field value) and each memory gives every reading thread its own scratch
 * space, so a serving process's request threads score candidates side by side.
 *
 * <p>The service's global store ({@code ErrorMemoryStore}) and the embeddable client ({@code
 * HindsightClient}) are this class, fed the same records: neither has code of its own here.
 *
 * <p><b>Determinism of the blend.</b> The sketch and the field memories are order-independent; the
 * blend's online learner is not. Its inputs are order-free (each sample carries the features it was
 * scored with) and its order is the labelled-samples topic's: samples are keyed by model, so all of
 * a model's samples sit in one partition and every replica applies them in the same offset order.
 * Replicas, restarts and replays therefore hold bit-identical blends. The blend and guard are saved
 * beside the memories on a clean close and consumed on open; a replica without that file is rebuilt
 * from the topic like one whose memories were not closed cleanly.
 */
public class ErrorMemoryReplica implements AutoCloseable {
  public static final String NAME = "compensation-error-memory";
  private static final Logger log = LoggerFactory.getLogger(ErrorMemoryReplica.class);
  private static final String MANIFEST = "manifest";
  private static final String ALIGNMENT = "alignment.state";

  private final CompensationSettings settings;

  /**
   * Model version → whether the last sample this replica applied was written as its outcome came.
   */
  private final Map<String, Boolean> eagerlyWritten =
      new java.util.concurrent.ConcurrentHashMap<>();

  private final String kind;
  private final IntFunction<SketchSettings> settingsForDimension;
  private final long versionExpiryMs;
  private volatile long unlearned;
  private final Map<String, Replica> replicas = new LinkedHashMap<>();

  /** Fair, so that a long release's {@link #yieldLock} hands the lock to the thread waiting. */
  private final ReentrantReadWriteLock locks = new ReentrantReadWriteLock(true);

  private final Lock lock = locks.writeLock();
  private final Lock lookupLock = locks.readLock();
  private Path directory;
  private ReplicaManifest manifest;
  private volatile long applied;
  private volatile long skippedDuplicates;
  private volatile long rejectedDimension;
  private volatile boolean open;
  private volatile Consumer<Scored> servedListener = scored -> {};
  private volatile Consumer<Sample> appliedListener = sample -> {};
  private final ReplicaAlignment alignment = new ReplicaAlignment(this::earliestRead);

  /** The tasks running here, which register their reads with this replica. */
  private final java.util.Set<Integer> localTasks = new java.util.HashSet<>();

  /**
   * Tasks that closed here and have published nothing since: a task that reopens (here after an
   * aborted transaction, or elsewhere) reads again from its last published deferred read.
   */
  private final java.util.Set<Integer> departedTasks = new java.util.HashSet<>();

  private static final class Replica {
    final String modelId;
    final Path directory;
    final ErrorMemory memory;
    final int dimension;
    final FieldMemory[] fields;
    final FieldCompensator compensator;
    long firstWrite = Long.MAX_VALUE;

    /** The event time of the newest labelled sample applied; memories are never read before it. */
    long latestSample = Long.MIN_VALUE;

    Replica(
        String modelId,
        Path directory,
        ErrorMemory memory,
        int dimension,
        FieldMemory[] fields,
        FieldCompensator compensator) {
      this.modelId = modelId;
      this.directory = directory;
      this.memory = memory;
      this.dimension = dimension;
      this.fields = fields;
      this.compensator = compensator;
    }

    void close() {
      memory.close();
      for (FieldMemory field : fields) {
        field.close();
      }
    }

    /** Releases the memories without writing them back: their directory is deleted next. */
    void discard() {
      memory.discard();
      for (FieldMemory field : fields) {
        field.discard();
      }
    }
  }

  /** What a replica served for one prediction: every variant's score and the sketch's evidence. */
  public record Scored(CompensationScores scores, int evidence) {}

  public ErrorMemoryReplica(CompensationSettings settings) {
    this.settings = settings;
    this.kind = settings.memoryKind();
    this.settingsForDimension = settings::sketch;
    this.versionExpiryMs = settings.versionExpiryMs();
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
        // The alignment file, like the blends', exists only between a clean close and the next
        // open: without it, samples held back for alignment were lost with the process.
        trustworthy =
            !kind.equals(ErrorMemories.ON_HEAP)
                && !manifest.interruptedMidWrite()
                && Files.exists(dir.resolve(ALIGNMENT))
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
        for (FieldMemorySettings keyed : settings.keyedMemories()) {
          try (FieldMemory memory =
              FieldMemories.open(settings.fieldMemoryKind(), keyed, memoryDir)) {
            if (memory.needsRebuild()) {
              return false;
            }
          }
        }
        if (!CompensatorState.load(memoryDir, settings.newCompensator(), new long[1])) {
          return false;
        }
      }
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  public String name() {
    return NAME;
  }

  /** Opens the replica in a directory (its files and manifest there). */
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
    Path alignmentFile = directory.resolve(ALIGNMENT);
    if (Files.exists(alignmentFile)) {
      try (java.io.DataInputStream in =
          new java.io.DataInputStream(
              new java.io.BufferedInputStream(Files.newInputStream(alignmentFile)))) {
        alignment.load(in);
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot read " + alignmentFile, e);
      }
      io.hindsight.DataDirectory.delete(alignmentFile);
    }
    try (Stream<Path> entries = Files.list(directory)) {
      for (Path memoryDir : entries.filter(Files::isDirectory).sorted().toList()) {
        MemoryMetadata metadata = MemoryMetadata.read(memoryDir);
        if (metadata == null) {
          throw new IllegalStateException(
              memoryDir + " has no metadata; delete the state to rebuild");
        }
        Replica replica = openReplica(metadata.modelId(), memoryDir, metadata.dimension());
        long[] latest = {Long.MIN_VALUE};
        if (!CompensatorState.consume(memoryDir, replica.compensator, latest)
            && replica.memory.samples() > 0) {
          log.warn(
              "{} has no saved blend; it restarts from the paper's formula (prepareRecovery"
                  + " rebuilds such a replica from Kafka)",
              metadata.name());
        }
        replica.firstWrite = metadata.firstWrite();
        replica.latestSample = latest[0];
        replicas.put(metadata.name(), replica);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot list " + directory, e);
    }
  }

  /**
   * Applies one labelled-samples record: a {@link Sample}, whose record timestamp is its effective
   * time (when its window closed, or its outcome came in eager mode), or a task's {@link
   * ReplicaProgress}, keyed by model.
   */
  public void applyRecord(
      int partition, long offset, byte[] key, byte[] value, long timestamp, boolean pending) {
    if (ReplicaProgress.isEncoded(value)) {
      applyProgress(
          partition,
          offset,
          new String(key, StandardCharsets.UTF_8),
          ReplicaProgress.decode(value));
    } else if (Sample.isLateFeatures(value)) {
      apply(partition, offset, Sample.decodeLateFeatures(value), timestamp, true, false);
    } else {
      Sample sample = Sample.decode(value);
      if (sample.labelled()) {
        // Effective before its window closed: written as its outcome came.
        eagerlyWritten.put(
            sample.memoryName(), timestamp < sample.timestamp() + settings.attributionWindowMs());
      }
      apply(partition, offset, sample, timestamp, false, pending);
    }
  }

  /** {@link #apply(int, long, Sample, long)} at the sample's own time. */
  public boolean apply(int partition, long offset, Sample sample) {
    return apply(partition, offset, sample, sample.timestamp(), false, false);
  }

  /**
   * Applies one labelled sample delivered from {@code partition} at {@code offset}, unless that
   * record was applied already; once tasks publish {@link ReplicaProgress} for its model, the
   * sample is held back until every task has published through its {@code effective} time.
   *
   * @param blendOnly the blend's features of a sample published without them
   * @param featuresPending a sample published before its prediction was scored: its features follow
   * @return false when skipped (already applied, or a dimension that differs from the model's)
   */
  boolean apply(
      int partition,
      long offset,
      Sample sample,
      long effective,
      boolean blendOnly,
      boolean featuresPending) {
    lock.lock();
    try {
      if (manifest.applied(partition, offset)) {
        skippedDuplicates++;
        return false;
      }
      manifest.beginApply(partition, offset);
      boolean held =
          sample.labelled()
              && (alignment.aligned(sample.modelId()) || featuresPending || blendOnly);
      boolean written = true;
      if (!held) {
        written = write(sample, blendOnly);
      } else if (!(blendOnly && alignment.supplyFeatures(sample))) {
        // Held, unless it is the features a pending sample waits for: that sample takes them.
        alignment.hold(new ReplicaAlignment.Held(sample, blendOnly, featuresPending), effective);
      }
      manifest.endApply(partition, offset);
      applied++;
      if (held) {
        releaseYielding(sample.modelId());
      }
      return written;
    } finally {
      lock.unlock();
    }
  }

  /** Applies a task's progress delivered from {@code partition} at {@code offset}. */
  void applyProgress(int partition, long offset, String modelId, ReplicaProgress progress) {
    lock.lock();
    try {
      if (manifest.applied(partition, offset)) {
        skippedDuplicates++;
        return;
      }
      manifest.beginApply(partition, offset);
      departedTasks.remove(progress.source());
      alignment.progress(modelId, progress);
      manifest.endApply(partition, offset);
      releaseYielding(modelId);
    } finally {
      lock.unlock();
    }
  }

  /** A deferred prediction's read, registered by a local task, served in event-time order. */
  record Read(int task, Sample prediction, long deferredAt, long ownProgress) {}

  /** A served read: what the prediction was scored with (empty without a memory). */
  record Served(Read read, Optional<Scored> scored, boolean timedOut) {}

  private record ReadKey(long time, int task, String requestId) implements Comparable<ReadKey> {
    @Override
    public int compareTo(ReadKey o) {
      int c = Long.compare(time, o.time);
      if (c == 0) {
        c = Integer.compare(task, o.task);
      }
      return c != 0 ? c : requestId.compareTo(o.requestId);
    }
  }

  /** Per model: reads waiting for the replica to reach their time. */
  private final Map<String, java.util.TreeMap<ReadKey, Read>> reads = new java.util.HashMap<>();

  /** The same reads per model and task, for {@link #earliestRead}. */
  private final Map<String, Map<Integer, java.util.TreeSet<ReadKey>>> readsByTask =
      new java.util.HashMap<>();

  /** Per local task: reads served and not yet taken, in the order served. */
  private final Map<Integer, List<Served>> served = new java.util.HashMap<>();

  /**
   * Whether this replica holds, through {@code time} minus the tolerance, what a read at {@code
   * time} needs: the progress the reading task published (waiting for all of it put a commit and a
   * fetch into most real-time predictions' latency) and every task's samples.
   */
  private boolean caughtUp(String modelId, long time, int task, long ownProgress) {
    long through = time - settings.alignmentToleranceMs();
    return alignment.progressOf(modelId, task) >= Math.min(ownProgress, through)
        && (!alignment.aligned(modelId) || alignment.complete(modelId) >= through)
        && !(releasing.contains(modelId) && dueUnwritten(modelId, through));
  }

  /** Whether a sample due through {@code time} is held that a release will write next. */
  private boolean dueUnwritten(String modelId, long time) {
    ReplicaAlignment.Held next = alignment.nextDue(modelId);
    return next != null && !next.featuresPending() && alignment.nextDueAt(modelId) <= time;
  }

  /**
   * Whether a prediction of this model at {@code time} can be scored now as {@code evaluate} would
   * score it: every task has published its samples through {@code time} minus the tolerance, and no
   * earlier read holds the replica back.
   */
  boolean readableAt(String modelId, long time, int task, long ownProgress) {
    lock.lock();
    try {
      if (!caughtUp(modelId, time, task, ownProgress)) {
        return false;
      }
      java.util.TreeMap<ReadKey, Read> waiting = reads.get(modelId);
      return !alignment.aligned(modelId) || waiting == null || waiting.isEmpty();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Registers a prediction to be scored when the replica reaches its time: once every sample
   * effective before it is applied (within the tolerance), and before any at or after it. The
   * replica serves reads itself, so no task waits for another's turn; the task takes the result
   * with {@link #takeServed}.
   */
  void register(int task, Sample prediction, long deferredAt, long ownProgress) {
    lock.lock();
    try {
      reads
          .computeIfAbsent(prediction.modelId(), m -> new java.util.TreeMap<>())
          .put(
              new ReadKey(prediction.timestamp(), task, prediction.requestId()),
              new Read(task, prediction, deferredAt, ownProgress));
      readsByTask
          .computeIfAbsent(prediction.modelId(), m -> new java.util.HashMap<>())
          .computeIfAbsent(task, t -> new java.util.TreeSet<>())
          .add(new ReadKey(prediction.timestamp(), task, prediction.requestId()));
      alignment.refresh(prediction.modelId());
      release(prediction.modelId(), Long.MIN_VALUE);
    } finally {
      lock.unlock();
    }
  }

  /** A task that runs here from now on; it registers its deferred reads next. */
  void claim(int task) {
    lock.lock();
    try {
      localTasks.add(task);
      departedTasks.remove(task);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Forgets a local task's reads (the task closed; it registers them again when it reopens, here or
   * elsewhere): the task's published progress holds the replica back from then on.
   */
  void unregister(int task) {
    lock.lock();
    try {
      localTasks.remove(task);
      departedTasks.add(task);
      reads.values().forEach(waiting -> waiting.values().removeIf(r -> r.task() == task));
      readsByTask.values().forEach(byTask -> byTask.remove(task));
      served.remove(task);
      alignment.refresh();
      List.copyOf(reads.keySet()).forEach(m -> release(m, Long.MIN_VALUE));
    } finally {
      lock.unlock();
    }
  }

  /** Per model: the complete time last seen by {@link #serveOverdue}, and since when. */
  private record Stall(long complete, long since) {}

  private final Map<String, Stall> stalls = new java.util.HashMap<>();

  /**
   * Serves the reads that have waited {@code compensation.alignment.max.wait.ms} by {@code now}
   * while their model's alignment stood still: a task that has stopped (a crash, a long rebalance)
   * holds reads back no longer than that, one that is only behind (a backlog) holds them back until
   * it catches up.
   */
  void serveOverdue(long now) {
    lock.lock();
    try {
      for (String modelId : List.copyOf(reads.keySet())) {
        long complete = alignment.complete(modelId);
        Stall stall = stalls.get(modelId);
        if (stall == null || stall.complete() != complete) {
          stalls.put(modelId, new Stall(complete, now));
        }
        release(modelId, now);
      }
    } finally {
      lock.unlock();
    }
  }

  /** The reads served for a local task since it last asked, in event-time order. */
  List<Served> takeServed(int task) {
    lock.lock();
    try {
      List<Served> done = served.remove(task);
      return done == null ? List.of() : done;
    } finally {
      lock.unlock();
    }
  }

  /** Tells the {@link #onServed} listener what a served read was made of. */
  void announce(Scored scored) {
    servedListener.accept(scored);
  }

  /**
   * Applies due samples and serves reads, interleaved in event-time order: a sample effective
   * before the earliest read goes first; the read is served once the replica is aligned for it (or
   * it has waited too long by {@code now}); samples at or after it wait for it.
   */
  private void release(String modelId, long now) {
    release(modelId, now, false);
  }

  /**
   * Models whose release has let go of the lock between two samples ({@link #releaseYielding}):
   * their complete time is ahead of what is written.
   */
  private final java.util.Set<String> releasing = new java.util.HashSet<>();

  /**
   * {@link #release} as the global thread applies a record: one progress record can make a thousand
   * samples due at once (every task's progress in a commit's delivery), and writing them took the
   * lock for tens to hundreds of milliseconds, while every prediction of a stream thread and every
   * lookup waited. It lets a waiting thread in between two samples, where the state is whole;
   * {@link #caughtUp} tells a reader which due samples are not written yet.
   */
  private void releaseYielding(String modelId) {
    release(modelId, Long.MIN_VALUE, true);
  }

  private void release(String modelId, long now, boolean yielding) {
    if (!yielding && releasing.contains(modelId)) {
      return; // the global thread's release is writing this model's samples and serves its reads
    }
    while (true) {
      java.util.TreeMap<ReadKey, Read> waiting = reads.get(modelId);
      Map.Entry<ReadKey, Read> read =
          waiting == null || waiting.isEmpty() ? null : waiting.firstEntry();
      ReplicaAlignment.Held next = alignment.nextDue(modelId);
      // Before any task speaks for the model, samples go in as they arrive, whatever the reads:
      // the order every replica applies them in must not depend on its own reads.
      if (next != null
          && (read == null
              || !alignment.aligned(modelId)
              || alignment.nextDueAt(modelId) < read.getKey().time())) {
        if (next.featuresPending()) {
          // Its features come on the topic, committed, also to the replica that scored the
          // prediction: features it computed itself may belong to an attempt that was aborted
          // and scored again, and a replica must learn only what every replica learns.
          return;
        }
        alignment.removeNextDue(modelId);
        write(next.sample(), next.blendOnly());
        if (yielding && !yieldLock(modelId)) {
          return;
        }
        continue;
      }
      if (read == null) {
        return;
      }
      long time = read.getKey().time();
      boolean aligned =
          caughtUp(modelId, time, read.getValue().task(), read.getValue().ownProgress());
      boolean overdue =
          now != Long.MIN_VALUE
              && now - Math.max(read.getValue().deferredAt(), stalls.get(modelId).since())
                  >= settings.alignmentMaxWaitMs();
      if (!aligned && !overdue) {
        return;
      }
      waiting.pollFirstEntry();
      readsByTask.get(modelId).get(read.getKey().task()).remove(read.getKey());
      alignment.refresh(modelId); // the task's next read, if any, holds the replica back now
      Sample p = read.getValue().prediction();
      Optional<Scored> scored =
          scoreLocked(
              p.modelId(),
              p.modelVersion(),
              p.key(),
              p.score(),
              p.timestamp(),
              p.fieldValues(),
              true);
      served
          .computeIfAbsent(read.getValue().task(), t -> new ArrayList<>())
          .add(new Served(read.getValue(), scored, !aligned));
    }
  }

  /**
   * Lets the threads waiting for the lock go first, when there are any and this thread holds it
   * once (its callers' state is whole), with {@code modelId} marked as being released meanwhile.
   *
   * @return false when the replica was closed meanwhile
   */
  private boolean yieldLock(String modelId) {
    if (locks.getWriteHoldCount() == 1 && locks.hasQueuedThreads()) {
      releasing.add(modelId);
      lock.unlock();
      lock.lock();
      releasing.remove(modelId);
    }
    return open;
  }

  /**
   * See {@link ReplicaAlignment.LocalReads}; called with the lock held. A task running here holds
   * the replica back by the reads it registered here (newer than what it published); one that just
   * closed here by what it published; any other not at all: its reads are served by its own
   * replica, and holding every replica back by every task's reads would let a backlog advance one
   * commit interval at a time.
   */
  private java.util.OptionalLong earliestRead(String modelId, int task) {
    if (departedTasks.contains(task)) {
      return java.util.OptionalLong.empty();
    }
    if (!localTasks.contains(task)) {
      return java.util.OptionalLong.of(Long.MAX_VALUE);
    }
    java.util.TreeSet<ReadKey> waiting = readsByTask.getOrDefault(modelId, Map.of()).get(task);
    return java.util.OptionalLong.of(
        waiting == null || waiting.isEmpty() ? Long.MAX_VALUE : waiting.first().time());
  }

  /** Models this replica has memories or progress for. */
  java.util.Set<String> modelIds() {
    lock.lock();
    try {
      java.util.Set<String> ids = new java.util.TreeSet<>(alignment.modelIds());
      replicas.values().forEach(r -> ids.add(r.modelId));
      return ids;
    } finally {
      lock.unlock();
    }
  }

  /** Labelled samples received and held back until every task has published through them. */
  public long heldSamples() {
    lock.lock();
    try {
      return alignment.held();
    } finally {
      lock.unlock();
    }
  }

  /** Samples that reached this replica after their model's progress had passed them. */
  public long lateSamples() {
    lock.lock();
    try {
      return alignment.lateSamples();
    } finally {
      lock.unlock();
    }
  }

  private Replica openReplica(String modelId, Path memoryDir, int dimension) {
    ErrorMemory memory = ErrorMemories.open(kind, settingsForDimension.apply(dimension), memoryDir);
    List<FieldMemorySettings> keyed = settings.keyedMemories();
    FieldMemory[] fields = new FieldMemory[keyed.size()];
    for (int f = 0; f < fields.length; f++) {
      fields[f] = FieldMemories.open(settings.fieldMemoryKind(), keyed.get(f), memoryDir);
    }
    return new Replica(modelId, memoryDir, memory, dimension, fields, settings.newCompensator());
  }

  private boolean write(Sample sample, boolean blendOnly) {
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
    if (blendOnly) {
      learn(replica, sample);
      return true;
    }
    replica.latestSample = Math.max(replica.latestSample, sample.timestamp());
    if (sample.timestamp() < replica.firstWrite) {
      replica.firstWrite = sample.timestamp();
      new MemoryMetadata(name, replica.modelId, replica.dimension, replica.firstWrite)
          .write(replica.directory);
    }
    // The blend learns from what the prediction was scored with, before the memories hold the
    // sample's own residual.
    if (sample.features().length > 0) {
      learn(replica, sample);
    } else {
      unlearned++; // its features follow when its prediction is compensated, or never
    }
    appliedListener.accept(sample);
    replica.memory.write(
        new LabelledSample(sample.key(), sample.label(), sample.score(), sample.timestamp()));
    List<String> sources = settings.keyedMemorySources();
    for (int f = 0; f < replica.fields.length; f++) {
      String value = sample.fieldValues().get(sources.get(f));
      if (settings.isEntityMemory(f)) {
        replica.fields[f].writeLogit(value, sample.label(), sample.score(), sample.timestamp());
      } else {
        replica.fields[f].write(value, sample.label(), sample.score(), sample.timestamp());
      }
    }
    expireOlderVersions(replica, sample.timestamp());
    return true;
  }

  private void learn(Replica replica, Sample sample) {
    double[] features = sample.features();
    if (features.length == replica.compensator.blend().featureCount()) {
      replica.compensator.learn(features, sample.score(), sample.label(), sample.timestamp());
    } else {
      unlearned++;
    }
  }

  private Replica create(String name, Sample sample) {
    int dimension = sample.key().length;
    Path memoryDir = directory.resolve(URLEncoder.encode(name, StandardCharsets.UTF_8));
    new MemoryMetadata(name, sample.modelId(), dimension, Long.MAX_VALUE).write(memoryDir);
    Replica replica = openReplica(sample.modelId(), memoryDir, dimension);
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
                // Under the lock: closing would first write a whole sketch back (0.3 s for
                // 160 MB on a quiet disk) only for the file to be deleted.
                other.discard();
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

  /**
   * Scores a prediction with every variant from this model version's sketch, field memories and
   * blend; empty when it has no memory (yet, or any more), or one of another key dimension.
   *
   * @param fieldValues the prediction's value per declared field (absent or null when it has none)
   * @param use whether the read counts as a use of the field values for eviction: true when
   *     serving, false for evaluations and lookups that must not change what is retained
   */
  public Optional<Scored> score(
      String modelId,
      String modelVersion,
      float[] key,
      double score,
      long timestamp,
      Map<String, String> fieldValues,
      boolean use) {
    lock.lock();
    try {
      Optional<Scored> scored =
          scoreLocked(modelId, modelVersion, key, score, timestamp, fieldValues, use);
      if (use && scored.isPresent()) {
        servedListener.accept(scored.get());
      }
      return scored;
    } finally {
      lock.unlock();
    }
  }

  /** A prediction to score: its key, base score, event time and declared fields' values. */
  public record Query(float[] key, double score, long timestamp, Map<String, String> fieldValues) {}

  /**
   * Scores predictions of one model version against one state of the replica (no sample is applied
   * between them), as a lookup: the reads do not count as uses of the field values. Each answer is
   * what {@link #score} with {@code use} false would give; empty where that would be empty.
   */
  public List<Optional<Scored>> peek(String modelId, String modelVersion, List<Query> queries) {
    lookupLock.lock();
    try {
      Replica replica = replicas.get(Sample.memoryName(modelId, modelVersion));
      if (replica == null) {
        return java.util.Collections.nCopies(queries.size(), Optional.empty());
      }
      // The sketch reads the queries together (it hashes them in tiles); one of another
      // dimension has no memory, as in score().
      List<Query> readable = new ArrayList<>(queries.size());
      for (Query q : queries) {
        if (q.key().length == replica.dimension) {
          readable.add(q);
        }
      }
      int n = readable.size();
      float[][] keys = new float[n][];
      double[] scores = new double[n];
      long[] readAt = new long[n];
      for (int j = 0; j < n; j++) {
        Query q = readable.get(j);
        keys[j] = q.key();
        scores[j] = q.score();
        readAt[j] = readAt(replica, q.timestamp());
      }
      Readout[] readouts = new Readout[n];
      replica.memory.readAll(keys, scores, readAt, readouts);
      SharedPeeks peeks = new SharedPeeks(replica.fields);
      List<Optional<Scored>> answers = new ArrayList<>(queries.size());
      int j = 0;
      for (Query q : queries) {
        if (q.key().length != replica.dimension) {
          answers.add(Optional.empty());
          continue;
        }
        long at = readAt[j];
        FieldEstimate[] estimates =
            fieldEstimates(replica, q.fieldValues(), (f, value) -> peeks.peek(f, value, at));
        answers.add(Optional.of(scored(replica, scores[j], readouts[j], estimates)));
        j++;
      }
      return answers;
    } finally {
      lookupLock.unlock();
    }
  }

  /**
   * Field peeks shared by one lookup's candidates: a ranker's candidates share values (one user,
   * many items), and each value is looked up once per read time.
   */
  private static final class SharedPeeks {
    private final FieldMemory[] fields;
    private final List<Map<String, FieldEstimate>> byValue = new ArrayList<>();
    private long at = Long.MIN_VALUE;

    SharedPeeks(FieldMemory[] fields) {
      this.fields = fields;
      for (int f = 0; f < fields.length; f++) {
        byValue.add(new java.util.HashMap<>());
      }
    }

    FieldEstimate peek(int f, String value, long at) {
      if (at != this.at) {
        byValue.forEach(Map::clear);
        this.at = at;
      }
      return value == null
          ? fields[f].peek(null, at)
          : byValue.get(f).computeIfAbsent(value, v -> fields[f].peek(v, at));
    }
  }

  private Optional<Scored> scoreLocked(
      String modelId,
      String modelVersion,
      float[] key,
      double score,
      long timestamp,
      Map<String, String> fieldValues,
      boolean use) {
    Replica replica = replicas.get(Sample.memoryName(modelId, modelVersion));
    if (replica == null || replica.dimension != key.length) {
      return Optional.empty();
    }
    long readAt = readAt(replica, timestamp);
    Readout readout = replica.memory.read(key, score, readAt);
    FieldEstimate[] estimates =
        fieldEstimates(
            replica,
            fieldValues,
            (f, value) ->
                use
                    ? replica.fields[f].estimate(value, readAt)
                    : replica.fields[f].peek(value, readAt));
    return Optional.of(scored(replica, score, readout, estimates));
  }

  /**
   * A task that lags behind others in event time would read decayed sums backwards in time,
   * inflating their evidence; it reads them as of the newest sample instead.
   */
  private static long readAt(Replica replica, long timestamp) {
    return Math.max(timestamp, replica.latestSample);
  }

  private FieldEstimate[] fieldEstimates(
      Replica replica,
      Map<String, String> fieldValues,
      java.util.function.BiFunction<Integer, String, FieldEstimate> estimate) {
    List<String> sources = settings.keyedMemorySources();
    FieldEstimate[] estimates = new FieldEstimate[replica.fields.length];
    for (int f = 0; f < estimates.length; f++) {
      estimates[f] = estimate.apply(f, fieldValues.get(sources.get(f)));
    }
    return estimates;
  }

  private static Scored scored(
      Replica replica, double score, Readout readout, FieldEstimate[] estimates) {
    return new Scored(replica.compensator.score(score, readout, estimates), readout.evidence());
  }

  /**
   * Tells {@code listener} what each served score ({@code use} true) was made of, as it is scored:
   * an evaluation reads every variant from it instead of scoring each prediction twice.
   */
  public void onServed(Consumer<Scored> listener) {
    servedListener = listener;
  }

  /** Tells {@code listener} of each labelled sample as the memories take it, in their order. */
  public void onApplied(Consumer<Sample> listener) {
    appliedListener = listener;
  }

  /** The guard's trust in the blend of a model version (1 when it has no memory). */
  public double trust(String modelId, String modelVersion) {
    lock.lock();
    try {
      Replica replica = replicas.get(Sample.memoryName(modelId, modelVersion));
      return replica == null ? 1.0 : replica.compensator.guard().trust();
    } finally {
      lock.unlock();
    }
  }

  /**
   * The write mode in use for a model version: the configured one, or in {@code auto} mode what the
   * last sample of the version this replica applied shows (on close before any).
   */
  public WriteMode writeMode(String modelId, String modelVersion) {
    if (settings.writeMode() != WriteMode.AUTO) {
      return settings.writeMode();
    }
    return eagerlyWritten.getOrDefault(Sample.memoryName(modelId, modelVersion), false)
        ? WriteMode.EAGER
        : WriteMode.ON_CLOSE;
  }

  /** The settings the store was created with. */
  public CompensationSettings settings() {
    return settings;
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

  /**
   * A memory's sample count, the hash of all its buckets ({@link ErrorMemory#contentHash}), the
   * hashes of its field memories ({@link FieldMemory#contentHash}) and of its blend and guard
   * state.
   */
  public record Fingerprint(
      long samples, long contentHash, List<Long> fieldHashes, long compensatorHash) {}

  /** Per memory, by name: a cheap way to compare replicas; {@link #sameContents} is exact. */
  public Map<String, Fingerprint> fingerprint() {
    lock.lock();
    try {
      Map<String, Fingerprint> fingerprint = new java.util.TreeMap<>();
      replicas.forEach(
          (name, replica) ->
              fingerprint.put(
                  name,
                  new Fingerprint(
                      replica.memory.samples(),
                      replica.memory.contentHash(),
                      java.util.Arrays.stream(replica.fields)
                          .map(FieldMemory::contentHash)
                          .toList(),
                      compensatorHash(replica.compensator))));
      return fingerprint;
    } finally {
      lock.unlock();
    }
  }

  private static long compensatorHash(FieldCompensator compensator) {
    return 31L * java.util.Arrays.hashCode(compensator.blend().snapshot())
        + java.util.Arrays.hashCode(compensator.guard().snapshot());
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
  public boolean sameContents(ErrorMemoryReplica other) {
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
            || !mine.memory.sameContents(theirs.memory)
            || mine.fields.length != theirs.fields.length
            || !java.util.Arrays.equals(
                mine.compensator.blend().snapshot(), theirs.compensator.blend().snapshot())
            || !java.util.Arrays.equals(
                mine.compensator.guard().snapshot(), theirs.compensator.guard().snapshot())) {
          return false;
        }
        for (int f = 0; f < mine.fields.length; f++) {
          if (!mine.fields[f].sameContents(theirs.fields[f])) {
            return false;
          }
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

  /** Labelled samples whose blend features were missing or of another length: not learned from. */
  public long unlearned() {
    return unlearned;
  }

  /** Values evicted from the field memories of every model version, since they were created. */
  public long fieldEvictions() {
    return sumOverFieldMemories(FieldMemory::evictions);
  }

  /** Values held by the field memories of every model version. */
  public long fieldValues() {
    return sumOverFieldMemories(FieldMemory::size);
  }

  private long sumOverFieldMemories(java.util.function.ToLongFunction<FieldMemory> figure) {
    lock.lock();
    try {
      return replicas.values().stream()
          .flatMap(r -> java.util.Arrays.stream(r.fields))
          .mapToLong(figure)
          .sum();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Deliberately no msync: the replica is a cache of Kafka, and a replica that did not close
   * cleanly is rebuilt from the topic whatever reached the disk, so forcing pages out at every
   * commit would only cost I/O. {@link #close()} makes the files durable.
   */
  public void flush() {}

  @Override
  public void close() {
    lock.lock();
    try {
      if (!open) {
        return;
      }
      open = false;
      replicas
          .values()
          .forEach(r -> CompensatorState.save(r.directory, r.compensator, r.latestSample));
      AtomicFile.write(
          directory.resolve(ALIGNMENT),
          file -> {
            java.io.DataOutputStream out = new java.io.DataOutputStream(file);
            alignment.save(out);
            out.flush();
          });
      replicas.values().forEach(Replica::close);
      replicas.clear();
      manifest.close();
    } finally {
      lock.unlock();
    }
  }

  public boolean persistent() {
    return true;
  }

  public boolean isOpen() {
    return open;
  }
}
