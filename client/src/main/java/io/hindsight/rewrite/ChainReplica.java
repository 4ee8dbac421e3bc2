package io.hindsight.rewrite;

import io.hindsight.DataDirectory;
import io.hindsight.compensation.AtomicFile;
import io.hindsight.markov.ChainOutcome;
import io.hindsight.markov.ChainStatistics;
import io.hindsight.markov.IncrementalAbsorptionSolver;
import io.hindsight.markov.RewritePolicy;
import io.hindsight.markov.RewriteRule;
import io.hindsight.markov.RuleBook;
import io.hindsight.markov.RuleChange;
import io.hindsight.markov.SnapshotInput;
import io.hindsight.markov.SnapshotOutput;
import io.hindsight.markov.UtteranceNormalizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every instance's full replica of the pooled reformulation chain, its absorption probabilities and
 * the rule book, as a Kafka Streams global store fed by the single-partition reformulations log.
 * Because the log is totally ordered and rules are decided at fixed points of log time (each time
 * the log's event time crosses a multiple of the solver interval), every replica — on any instance,
 * in any replay — computes the same rule changes in the same order. One task publishes them ({@link
 * #changesAfter}). Holds at most {@code rewrite.max.states} states: above it, each decision point
 * first evicts cold ones (deterministically, so replicas stay equal). Thread-safe.
 *
 * <p><b>Snapshots.</b> Kafka is the source of truth and the snapshot its cache, as for the error
 * memory ({@code ErrorMemoryStore}): everything that determines future decisions (chain statistics,
 * solver, rule book, policy counters, the change sequence) is written with the offset of the last
 * log record it reflects, whole or not at all ({@link AtomicFile}), every {@code
 * rewrite.snapshot.interval.ms} at a Streams commit and on a clean close. Streams' checkpoint and
 * the snapshot are written at different moments, so a record at or below the snapshot's offset is
 * skipped when delivered again ({@code apply} is not idempotent), and {@link #prepareRecovery}
 * moves a checkpoint that is ahead of the snapshot back to it. A missing, corrupt or incompatible
 * snapshot (other settings, other format) is deleted with Streams' checkpoint before start, and the
 * replica is rebuilt from the beginning of the log. A replica loaded from a snapshot holds exactly
 * the state one that replayed the log up to its offset holds, so it decides and publishes the same
 * changes under the same sequence numbers. Non-goal: the snapshot is written on the global thread
 * under the replica's lock, so lookups wait while it is written.
 *
 * <p>The service's global store ({@code RewriteReplica}) and the embeddable client ({@code
 * HindsightClient}) are this class, fed the same log; only the global store keeps snapshots.
 */
public class ChainReplica implements AutoCloseable {
  public static final String NAME = "rewrite-chain-replica";
  protected static final String SNAPSHOT = "replica.snapshot";
  private static final Logger log = LoggerFactory.getLogger(ChainReplica.class);
  private static final int MAGIC = 0x48535252; // "HSRR"

  /** The layout of the snapshot; a different one is rebuilt from Kafka. */
  private static final int FORMAT = 2;

  // A state is re-decided when its P_S moved by more than this since it was last reported (or by
  // the solve tolerance, if coarser).
  private static final double SOLVER_REPORT_TOLERANCE = 1e-6;

  /** A rule change with its position in this replica's change sequence and its log time. */
  public record SequencedChange(long sequence, long decidedAt, RuleChange change) {}

  private final RewriteLoopSettings settings;
  private ChainStatistics statistics;
  private IncrementalAbsorptionSolver solver;
  private RuleBook book;
  private RewritePolicy policy;
  private final Set<String> changed = new TreeSet<>();
  private final RuleChangeLog changes;
  private long logTime = Long.MIN_VALUE;
  private long nextDecision = Long.MIN_VALUE;
  private long chains;
  private long treatments;
  // Work counters (not in the snapshot): how far the bounds are from binding.
  private long decisionPoints;
  private long mostRelaxationsAtOnePoint;
  private volatile boolean open;

  /** Offset of the last reformulations record applied; -1 before any. */
  private long appliedOffset = -1;

  /** Offset the snapshot on disk reflects; -1 without one. */
  private long snapshotOffset = -1;

  private long skippedRecords;
  private long loadedOffset = -1;
  private long snapshotNanos;
  private long lastSnapshotAt;

  /** A record's apply threw half-way: this state must never be saved. */
  private boolean damaged;

  private Path directory;

  /** A replica that keeps each source's latest rule change (see {@link #changesAfter}). */
  public ChainReplica(RewriteLoopSettings settings) {
    this(settings, false);
  }

  /**
   * @param keepEveryChange keep every rule change for {@link #changesAfter}, not only each source's
   *     latest: for an evaluation, whose log is finite and whose report lists them all
   */
  public ChainReplica(RewriteLoopSettings settings, boolean keepEveryChange) {
    this.settings = settings;
    this.changes = new RuleChangeLog(keepEveryChange);
    reset();
  }

  private void reset() {
    statistics = new ChainStatistics(settings.chain());
    solver = newSolver();
    book = new RuleBook(settings.lifecycle());
    policy = new RewritePolicy(settings.policy(), statistics, solver, book);
    changed.clear();
    changes.clear();
    logTime = Long.MIN_VALUE;
    nextDecision = Long.MIN_VALUE;
    chains = 0;
    treatments = 0;
    appliedOffset = -1;
    snapshotOffset = -1;
  }

  private IncrementalAbsorptionSolver newSolver() {
    return new IncrementalAbsorptionSolver(
        settings.solverTolerance(),
        Math.max(SOLVER_REPORT_TOLERANCE, settings.solverTolerance()),
        settings.solverMaxRelaxations());
  }

  public String name() {
    return NAME;
  }

  /** Opens the replica outside Kafka Streams without a snapshot (evaluation, tests). */
  public void open() {
    open = true;
  }

  /**
   * Opens the replica in {@code storeDirectory}, from the snapshot there if there is one. A
   * snapshot that cannot be read is deleted and the open fails: {@link #prepareRecovery}, before
   * the next start, then arranges a rebuild from the beginning of the log.
   */
  public synchronized void open(Path storeDirectory) {
    directory = storeDirectory;
    try {
      Files.createDirectories(directory);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Path file = directory.resolve(SNAPSHOT);
    if (Files.exists(file)) {
      long started = System.nanoTime();
      try {
        load(file);
      } catch (IOException | RuntimeException e) {
        reset();
        DataDirectory.delete(file);
        throw new IllegalStateException(
            "Rewrite replica snapshot " + file + " cannot be loaded (" + e.getMessage() + ")", e);
      }
      log.info(
          "Rewrite replica loaded from {}: {} states, offset {}, in {} ms",
          file,
          statistics.liveStates(),
          appliedOffset,
          (System.nanoTime() - started) / 1_000_000);
    }
    lastSnapshotAt = System.nanoTime();
    open = true;
  }

  /**
   * Applies the reformulations record at {@code offset}, unless this replica reflects it already (a
   * record delivered again after a restart from a snapshot newer than Streams' checkpoint).
   *
   * @return false when skipped
   */
  public synchronized boolean apply(long offset, byte[] record) {
    if (offset <= appliedOffset) {
      skippedRecords++;
      return false;
    }
    Reformulation entry = Reformulation.decode(record);
    damaged = true;
    apply(entry);
    damaged = false;
    appliedOffset = offset;
    return true;
  }

  /** Applies the next log entry, first deciding rules if it crosses a decision point. */
  public synchronized void apply(Reformulation entry) {
    long time = Math.max(logTime, entry.timestamp());
    if (nextDecision == Long.MIN_VALUE) {
      nextDecision = boundaryAfter(time);
    } else if (time >= nextDecision) {
      decide(nextDecision);
      nextDecision = boundaryAfter(time);
    }
    logTime = time;
    if (entry.isTreatment()) {
      treatments++;
      book.recordApplication(entry.ruleSource(), entry.ruleTarget(), entry.succeeded());
    } else {
      chains++;
      changed.addAll(
          statistics.recordChain(
              entry.userId(),
              entry.utterances(),
              entry.succeeded() ? ChainOutcome.SUCCESS : ChainOutcome.FAILURE,
              entry.timestamp()));
    }
  }

  /** Decides rules now over everything applied so far (end of a replay). */
  public synchronized void decideNow() {
    if (logTime != Long.MIN_VALUE) {
      decide(logTime);
    }
  }

  private void decide(long now) {
    if (statistics.liveStates() > settings.maxStates()) {
      // Down to 90 % of the bound, so that the scan for cold states runs once per many new ones.
      changed.addAll(
          statistics.evictColdStates(
              settings.maxStates() - settings.maxStates() / 10,
              settings.stateHorizonMs(),
              now,
              state -> book.isLiveSource(state) || book.isLiveTarget(state)));
    }
    // Only the states whose decision can change are re-decided, in the order of their names.
    long relaxationsBefore = solver.relaxations();
    List<String> candidates = policy.candidates(changed, solver.updateIds(statistics, changed));
    decisionPoints++;
    mostRelaxationsAtOnePoint =
        Math.max(mostRelaxationsAtOnePoint, solver.relaxations() - relaxationsBefore);
    changed.clear();
    for (RuleChange change : book.refresh(policy, candidates, now)) {
      changes.append(now, change);
    }
  }

  private long boundaryAfter(long time) {
    long interval = settings.solverIntervalMs();
    return Math.floorDiv(time, interval) * interval + interval;
  }

  /**
   * Rule changes decided after the given sequence number, in order: each source's latest only
   * (every change if the replica keeps them all). Publishing these to a topic compacted by source
   * leaves it as publishing every change would. Does not wait for a decision point in progress: it
   * may return only the first of its changes, and the rest at the next call.
   */
  public List<SequencedChange> changesAfter(long sequence) {
    return changes.after(sequence);
  }

  /** The live rule for an utterance, by its normalized form. */
  public synchronized Optional<RewriteRule> rule(String utterance) {
    return book.rule(UtteranceNormalizer.normalize(utterance));
  }

  public synchronized List<RewriteRule> liveRules() {
    return book.liveRules();
  }

  public synchronized double successRate(String utterance) {
    return statistics.successRate(UtteranceNormalizer.normalize(utterance));
  }

  public synchronized double eventualSuccess(String utterance) {
    return solver.successProbability(UtteranceNormalizer.normalize(utterance));
  }

  /** Utterance states held now. */
  public synchronized int states() {
    return statistics.liveStates();
  }

  /** States the absorption solver still has queued (work carried to the next decision). */
  public synchronized int pendingSolverStates() {
    return solver.pendingStates();
  }

  /** States evicted since the replica was (re)built. */
  public synchronized long evictedStates() {
    return statistics.evictions();
  }

  /** Rule decisions that searched (a source with at least one eligible target). */
  public synchronized long decisions() {
    return policy.decisions();
  }

  /** Decisions that reached the push bound before their winner was certain. */
  public synchronized long uncertainDecisions() {
    return policy.uncertainDecisions();
  }

  /** Decision points since this replica was built or loaded. */
  public synchronized long decisionPoints() {
    return decisionPoints;
  }

  /** The most relaxations the solver did at one decision point (this replica's run). */
  public synchronized long mostRelaxationsAtOnePoint() {
    return mostRelaxationsAtOnePoint;
  }

  /** Relaxations the solver did in all. */
  public synchronized long solverRelaxations() {
    return solver.relaxations();
  }

  /** Pushes every rule decision's search did in all. */
  public synchronized long searchPushes() {
    return policy.pushes();
  }

  public synchronized long chains() {
    return chains;
  }

  public synchronized long treatments() {
    return treatments;
  }

  /** Offset of the last reformulations record applied; -1 before any. */
  public synchronized long appliedOffset() {
    return appliedOffset;
  }

  /** The offset of the snapshot this replica was opened from; -1 when it was not. */
  public synchronized long loadedOffset() {
    return loadedOffset;
  }

  /** Records delivered again at or below the applied offset, and skipped. */
  public synchronized long skippedRecords() {
    return skippedRecords;
  }

  /** Time spent writing snapshots since this replica was opened. */
  public synchronized long snapshotMillis() {
    return snapshotNanos / 1_000_000;
  }

  /** A snapshot once {@code rewrite.snapshot.interval.ms} has passed since the last. */
  public void flush() {
    maybeSnapshot(false);
  }

  protected synchronized void maybeSnapshot(boolean closing) {
    if (directory == null || damaged || appliedOffset <= snapshotOffset) {
      return;
    }
    if (closing
        || System.nanoTime() - lastSnapshotAt >= settings.snapshotIntervalMs() * 1_000_000) {
      snapshot();
    }
  }

  /** Writes the snapshot now (the global thread, or tests); a no-op without a directory. */
  public synchronized void snapshot() {
    if (directory == null || damaged) {
      return;
    }
    long started = System.nanoTime();
    AtomicFile.write(
        directory.resolve(SNAPSHOT),
        stream -> {
          SnapshotOutput out = new SnapshotOutput(stream);
          write(out);
          out.finish();
        });
    snapshotOffset = appliedOffset;
    lastSnapshotAt = System.nanoTime();
    snapshotNanos += lastSnapshotAt - started;
    log.debug(
        "Rewrite replica snapshot at offset {}: {} states in {} ms",
        appliedOffset,
        statistics.liveStates(),
        (lastSnapshotAt - started) / 1_000_000);
  }

  /** What decides the snapshot's compatibility: every setting the replica's decisions read. */
  private String fingerprint() {
    return String.join(
        "|",
        "solver="
            + settings.solverTolerance()
            + ","
            + SOLVER_REPORT_TOLERANCE
            + ","
            + settings.solverMaxRelaxations(),
        "interval=" + settings.solverIntervalMs(),
        "maxStates=" + settings.maxStates(),
        "horizon=" + settings.stateHorizonMs(),
        settings.chain().toString(),
        settings.policy().toString(),
        settings.lifecycle().toString());
  }

  private void write(SnapshotOutput out) throws IOException {
    out.writeInt(MAGIC);
    out.writeInt(FORMAT);
    out.writeString(fingerprint());
    out.writeLong(appliedOffset);
    out.writeLong(logTime);
    out.writeLong(nextDecision);
    out.writeLong(chains);
    out.writeLong(treatments);
    out.writeInt(changed.size());
    for (String state : changed) {
      out.writeString(state);
    }
    changes.write(out);
    statistics.write(out);
    solver.write(out);
    book.write(out);
    policy.write(out);
  }

  /**
   * Why the snapshot in {@code file} cannot be used with these settings, or null when it can; reads
   * only its header after checking its checksum.
   */
  protected String incompatibility(Path file, long[] offset) {
    try (SnapshotInput in = SnapshotInput.open(file)) {
      return header(in, offset);
    } catch (IOException e) {
      return "corrupt: " + e.getMessage();
    }
  }

  private String header(SnapshotInput in, long[] offset) throws IOException {
    if (in.readInt() != MAGIC) {
      return "not a rewrite replica snapshot";
    }
    int format = in.readInt();
    if (format != FORMAT) {
      return "format " + format + ", this version writes " + FORMAT;
    }
    String written = in.readString();
    if (!fingerprint().equals(written)) {
      return "written under other settings (" + written + ")";
    }
    offset[0] = in.readLong();
    return null;
  }

  private void load(Path file) throws IOException {
    try (SnapshotInput in = SnapshotInput.open(file)) {
      long[] offset = {-1};
      String problem = header(in, offset);
      if (problem != null) {
        throw new IOException(problem);
      }
      reset();
      logTime = in.readLong();
      nextDecision = in.readLong();
      chains = in.readLong();
      treatments = in.readLong();
      for (int i = in.readLength(1, false); i > 0; i--) {
        changed.add(in.readString());
      }
      changes.read(in);
      statistics = ChainStatistics.read(in, settings.chain());
      solver = newSolver();
      solver.read(in, statistics);
      book = new RuleBook(settings.lifecycle());
      book.read(in);
      policy = new RewritePolicy(settings.policy(), statistics, solver, book);
      policy.read(in);
      if (!in.atEnd()) {
        throw new IOException("bytes left after the policy");
      }
      appliedOffset = offset[0];
      snapshotOffset = offset[0];
      loadedOffset = offset[0];
    }
  }

  @Override
  public synchronized void close() {
    if (open) {
      maybeSnapshot(true);
      log.info(
          "Rewrite replica work: {} decision points, {} relaxations (at most {} at one point,"
              + " bound {}), {} pending; {} searches, {} pushes, {} reached the push bound",
          decisionPoints,
          solver.relaxations(),
          mostRelaxationsAtOnePoint,
          settings.solverMaxRelaxations(),
          solver.pendingStates(),
          policy.decisions(),
          policy.pushes(),
          policy.uncertainDecisions());
    }
    open = false;
    directory = null;
    reset();
  }

  public boolean persistent() {
    return true;
  }

  public boolean isOpen() {
    return open;
  }
}
