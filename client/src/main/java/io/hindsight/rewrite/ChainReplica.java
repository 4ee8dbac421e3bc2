package io.hindsight.rewrite;

import io.hindsight.markov.ChainOutcome;
import io.hindsight.markov.ChainStatistics;
import io.hindsight.markov.IncrementalAbsorptionSolver;
import io.hindsight.markov.RewritePolicy;
import io.hindsight.markov.RewriteRule;
import io.hindsight.markov.RuleBook;
import io.hindsight.markov.RuleChange;
import io.hindsight.markov.UtteranceNormalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Every instance's full replica of the pooled reformulation chain, its absorption probabilities and
 * the rule book, as a Kafka Streams global store fed by the single-partition reformulations log.
 * Because the log is totally ordered and rules are decided at fixed points of log time (each time
 * the log's event time crosses a multiple of the solver interval), every replica — on any instance,
 * in any replay — computes the same rule changes in the same order. One task publishes them ({@link
 * #changesAfter}). Holds at most {@code rewrite.max.states} states: above it, each decision point
 * first evicts cold ones (deterministically, so replicas stay equal). Not persistent: rebuilt from
 * the log at start. Thread-safe.
 *
 * <p>The service's global store ({@code RewriteReplica}) and the embeddable client ({@code
 * HindsightClient}) are this class, fed the same log.
 */
public class ChainReplica implements AutoCloseable {
  public static final String NAME = "rewrite-chain-replica";

  /** A rule change with its position in this replica's change sequence and its log time. */
  public record SequencedChange(long sequence, long decidedAt, RuleChange change) {}

  private final RewriteLoopSettings settings;
  private ChainStatistics statistics;
  private IncrementalAbsorptionSolver solver;
  private RuleBook book;
  private RewritePolicy policy;
  private final Set<String> changed = new TreeSet<>();
  private final List<SequencedChange> changes = new ArrayList<>();
  private long logTime = Long.MIN_VALUE;
  private long nextDecision = Long.MIN_VALUE;
  private long chains;
  private long treatments;
  private volatile boolean open;

  public ChainReplica(RewriteLoopSettings settings) {
    this.settings = settings;
    reset();
  }

  private void reset() {
    statistics = new ChainStatistics(settings.chain());
    // 1e-9 is far below any decision's sensitivity; 1e-12 costs orders of magnitude more work on
    // hub-heavy graphs (load-tests/README.md). Work left over carries to the next decision.
    solver = new IncrementalAbsorptionSolver(1e-9, 1e-6, 2_000_000);
    book = new RuleBook(settings.lifecycle());
    policy = new RewritePolicy(settings.policy(), statistics, solver, book);
    changed.clear();
    changes.clear();
    logTime = Long.MIN_VALUE;
    nextDecision = Long.MIN_VALUE;
  }

  public String name() {
    return NAME;
  }

  /** Opens the replica outside Kafka Streams (evaluation, tests). */
  public void open() {
    open = true;
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
    Set<String> candidates = new TreeSet<>(changed);
    candidates.addAll(solver.update(statistics, changed));
    changed.clear();
    for (RuleChange change : book.refresh(policy, candidates, now)) {
      changes.add(new SequencedChange(changes.size() + 1L, now, change));
    }
  }

  private long boundaryAfter(long time) {
    long interval = settings.solverIntervalMs();
    return Math.floorDiv(time, interval) * interval + interval;
  }

  /** Rule changes decided after the given sequence number, in order. */
  public synchronized List<SequencedChange> changesAfter(long sequence) {
    int from = (int) Math.min(Math.max(sequence, 0), changes.size());
    return List.copyOf(changes.subList(from, changes.size()));
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

  public synchronized long chains() {
    return chains;
  }

  public synchronized long treatments() {
    return treatments;
  }

  public void flush() {}

  @Override
  public synchronized void close() {
    open = false;
    reset();
  }

  public boolean persistent() {
    return false;
  }

  public boolean isOpen() {
    return open;
  }
}
