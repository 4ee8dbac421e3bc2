package io.hindsight.markov;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Single-writer, not thread-safe; deterministic: the same calls in the same order produce the same
 * changes, versions included (every collection is sorted, time is the caller's event time). Holds
 * the live rewrite rules, their own evidence and the sources in cool-down, and turns policy
 * decisions into the changes the topology publishes.
 *
 * <p>Lifecycle of a source u:
 *
 * <ul>
 *   <li><b>Created</b> when {@link RewritePolicy#choose} finds a target for a candidate source.
 *   <li><b>Updated</b> when the best target changes (its evidence restarts) or its figures move
 *       beyond {@link RuleLifecycleSettings#republishTolerance()}.
 *   <li><b>Retracted, underperforming</b> when, after at least {@link
 *       RuleLifecycleSettings#minApplications()} applications, P(θ < R_S(u)) under the rule's
 *       Beta(1+s, 1+f) posterior exceeds {@link RuleLifecycleSettings#retractionProbability()}
 *       (exact Beta CDF): the rule is credibly worse than the source's organic one-step success.
 *       The source is then kept out for {@link RuleLifecycleSettings#coolDown()} of event time and
 *       re-evaluated when that ends.
 *   <li><b>Retracted, withdrawn</b> when the policy no longer finds any target for a live source
 *       (no cool-down: the statistics, not the rule, changed).
 * </ul>
 *
 * <p>{@link #write} and {@link #read} copy a book exactly (the replica's snapshot); {@link
 * #restore} puts back single rules, versions continuing after the highest one given.
 */
public final class RuleBook implements LiveRules {

  private final RuleLifecycleSettings settings;
  // Ordered for the views and the snapshot; bySource answers the lookups of every decision.
  private final TreeMap<String, LiveRule> live = new TreeMap<>();
  private final Map<String, LiveRule> bySource = new HashMap<>();
  private final Map<String, Integer> targetReferences = new HashMap<>();
  private final TreeMap<String, Long> coolDownUntil = new TreeMap<>();
  private final TreeSet<String> withNewOutcomes = new TreeSet<>();
  private long lastVersion;

  public RuleBook(RuleLifecycleSettings settings) {
    this.settings = Objects.requireNonNull(settings, "settings");
  }

  /**
   * Records the outcome of one turn on which the serving side applied the rule {@code source} →
   * {@code target}. Outcomes for a rule that is no longer live, or whose target has since changed,
   * are ignored: they judge a treatment that no longer exists.
   *
   * @return whether the outcome was counted
   */
  public boolean recordApplication(String source, String target, boolean success) {
    LiveRule rule = bySource.get(UtteranceNormalizer.normalize(source));
    if (rule == null || !rule.rule.target().equals(UtteranceNormalizer.normalize(target))) {
      return false;
    }
    rule.posterior = rule.posterior.withOutcome(success);
    withNewOutcomes.add(rule.rule.source());
    return true;
  }

  /**
   * Judges live rules that have new evidence, lets back sources whose cool-down ended, and asks
   * {@code policy} about every candidate; meant to run from a punctuator.
   *
   * @param candidates normalized states to (re)consider, typically those whose statistics or P_S
   *     changed since the last refresh
   * @param nowMillis event time: cool-downs end and rules are stamped by it
   * @return the changes to publish, in a deterministic order
   */
  public List<RuleChange> refresh(
      RewritePolicy policy, Collection<String> candidates, long nowMillis) {
    ChainStatistics statistics = policy.statistics();
    List<RuleChange> changes = new ArrayList<>();
    TreeSet<String> toEvaluate = new TreeSet<>(candidates);

    for (Iterator<Map.Entry<String, Long>> it = coolDownUntil.entrySet().iterator();
        it.hasNext(); ) {
      Map.Entry<String, Long> entry = it.next();
      if (entry.getValue() <= nowMillis) {
        it.remove();
        toEvaluate.add(entry.getKey());
      }
    }

    TreeSet<String> toJudge = new TreeSet<>(withNewOutcomes);
    for (String candidate : candidates) {
      if (bySource.containsKey(candidate)) {
        toJudge.add(candidate); // its organic baseline R_S may have moved
      }
    }
    withNewOutcomes.clear();
    for (String source : toJudge) {
      LiveRule rule = bySource.get(source);
      if (rule != null && underperforms(rule, statistics.successRate(source))) {
        changes.add(retract(source, RuleChange.Reason.UNDERPERFORMING));
        coolDownUntil.put(source, saturatedAdd(nowMillis, settings.coolDown().toMillis()));
      }
    }

    for (String source : toEvaluate) {
      if (coolDownUntil.containsKey(source)) {
        continue;
      }
      Optional<RewriteRule> chosen = policy.choose(source);
      LiveRule current = bySource.get(source);
      if (chosen.isEmpty()) {
        if (current != null) {
          changes.add(retract(source, RuleChange.Reason.WITHDRAWN));
        }
      } else if (current == null) {
        changes.add(publish(chosen.get(), nowMillis, RuleChange.Type.CREATED, null));
      } else if (!current.rule.target().equals(chosen.get().target())) {
        changes.add(publish(chosen.get(), nowMillis, RuleChange.Type.UPDATED, current));
      } else if (moved(current.rule, chosen.get())) {
        changes.add(publish(chosen.get(), nowMillis, RuleChange.Type.UPDATED, current));
      }
    }
    return changes;
  }

  /**
   * Puts back a rule read from the compacted {@code rewrites} topic after a restart, with the
   * evidence gathered so far; later versions continue after the highest restored one.
   */
  public void restore(RewriteRule rule, RulePosterior posterior) {
    Objects.requireNonNull(rule, "rule");
    Objects.requireNonNull(posterior, "posterior");
    LiveRule previous = removeLive(rule.source());
    if (previous != null) {
      release(previous.rule.target());
    }
    putLive(new LiveRule(rule, posterior));
    targetReferences.merge(rule.target(), 1, Integer::sum);
    lastVersion = Math.max(lastVersion, rule.version());
  }

  /**
   * Writes the live rules with their evidence, the cool-downs, the sources with new outcomes and
   * the last version, so that {@link #read} gives a book that decides identically.
   */
  public void write(SnapshotOutput out) throws java.io.IOException {
    out.writeLong(lastVersion);
    out.writeInt(live.size());
    for (LiveRule rule : live.values()) {
      writeRule(out, rule.rule);
      out.writeLong(rule.posterior.successes());
      out.writeLong(rule.posterior.failures());
    }
    out.writeInt(coolDownUntil.size());
    for (Map.Entry<String, Long> entry : coolDownUntil.entrySet()) {
      out.writeString(entry.getKey());
      out.writeLong(entry.getValue());
    }
    out.writeInt(withNewOutcomes.size());
    for (String source : withNewOutcomes) {
      out.writeString(source);
    }
  }

  /** Restores what {@link #write} wrote into this new book. */
  public void read(SnapshotInput in) throws java.io.IOException {
    if (!live.isEmpty() || lastVersion != 0) {
      throw new IllegalStateException("read into a book that has been used");
    }
    long version = in.readLong();
    for (int i = in.readLength(1, false); i > 0; i--) {
      restore(readRule(in), new RulePosterior(in.readLong(), in.readLong()));
    }
    lastVersion = version;
    for (int i = in.readLength(1, false); i > 0; i--) {
      coolDownUntil.put(in.readString(), in.readLong());
    }
    for (int i = in.readLength(1, false); i > 0; i--) {
      withNewOutcomes.add(in.readString());
    }
  }

  /** A rule's fields in {@link SnapshotOutput}'s layout. */
  public static void writeRule(SnapshotOutput out, RewriteRule rule) throws java.io.IOException {
    out.writeString(rule.source());
    out.writeString(rule.target());
    out.writeDouble(rule.confidence());
    out.writeDouble(rule.sourceSuccess());
    out.writeDouble(rule.targetSuccess());
    out.writeLong(rule.support());
    out.writeLong(rule.version());
    out.writeLong(rule.updatedAt());
  }

  public static RewriteRule readRule(SnapshotInput in) throws java.io.IOException {
    try {
      return new RewriteRule(
          in.readString(),
          in.readString(),
          in.readDouble(),
          in.readDouble(),
          in.readDouble(),
          in.readLong(),
          in.readLong(),
          in.readLong());
    } catch (NullPointerException | IllegalArgumentException e) {
      throw new java.io.IOException("invalid rule: " + e.getMessage(), e);
    }
  }

  /** The live rule for {@code source} (normalized), if any. */
  public Optional<RewriteRule> rule(String source) {
    LiveRule rule = bySource.get(source);
    return rule == null ? Optional.empty() : Optional.of(rule.rule);
  }

  /** The evidence gathered by the live rule for {@code source}, if any. */
  public Optional<RulePosterior> posterior(String source) {
    LiveRule rule = bySource.get(source);
    return rule == null ? Optional.empty() : Optional.of(rule.posterior);
  }

  /** Every live rule, ordered by source. */
  public List<RewriteRule> liveRules() {
    List<RewriteRule> rules = new ArrayList<>(live.size());
    live.values().forEach(rule -> rules.add(rule.rule));
    return rules;
  }

  /** Sources kept out until the given event time, ordered by source. */
  public Map<String, Long> coolDowns() {
    return new TreeMap<>(coolDownUntil);
  }

  /** Whether {@code source} is kept out at {@code nowMillis}. */
  public boolean isCoolingDown(String source, long nowMillis) {
    Long until = coolDownUntil.get(source);
    return until != null && until > nowMillis;
  }

  @Override
  public boolean isLiveSource(String state) {
    return bySource.containsKey(state);
  }

  @Override
  public boolean isLiveTarget(String state) {
    return targetReferences.containsKey(state);
  }

  /** Sources of live rules, ordered. */
  public Set<String> liveSources() {
    return new TreeSet<>(live.keySet());
  }

  private boolean underperforms(LiveRule rule, double organicSuccess) {
    RulePosterior posterior = rule.posterior;
    return posterior.applications() >= settings.minApplications()
        && posterior.probabilityBelow(organicSuccess) > settings.retractionProbability();
  }

  private boolean moved(RewriteRule current, RewriteRule chosen) {
    double tolerance = settings.republishTolerance();
    return Math.abs(current.confidence() - chosen.confidence()) > tolerance
        || Math.abs(current.sourceSuccess() - chosen.sourceSuccess()) > tolerance
        || Math.abs(current.targetSuccess() - chosen.targetSuccess()) > tolerance;
  }

  private RuleChange publish(
      RewriteRule chosen, long nowMillis, RuleChange.Type type, LiveRule current) {
    RewriteRule stamped = chosen.published(++lastVersion, nowMillis);
    RulePosterior posterior = RulePosterior.PRIOR;
    RuleChange.Reason reason = RuleChange.Reason.CHOSEN;
    if (current != null) {
      boolean sameTarget = current.rule.target().equals(chosen.target());
      posterior = sameTarget ? current.posterior : RulePosterior.PRIOR;
      reason = sameTarget ? RuleChange.Reason.FIGURES_MOVED : RuleChange.Reason.TARGET_CHANGED;
      release(current.rule.target());
    }
    putLive(new LiveRule(stamped, posterior));
    targetReferences.merge(stamped.target(), 1, Integer::sum);
    return new RuleChange(type, stamped, reason);
  }

  private void putLive(LiveRule rule) {
    live.put(rule.rule.source(), rule);
    bySource.put(rule.rule.source(), rule);
  }

  private LiveRule removeLive(String source) {
    bySource.remove(source);
    return live.remove(source);
  }

  private RuleChange retract(String source, RuleChange.Reason reason) {
    LiveRule removed = removeLive(source);
    release(removed.rule.target());
    return new RuleChange(RuleChange.Type.RETRACTED, removed.rule, reason);
  }

  private void release(String target) {
    targetReferences.computeIfPresent(target, (key, count) -> count == 1 ? null : count - 1);
  }

  private static long saturatedAdd(long a, long b) {
    long sum = a + b;
    return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
  }

  /** A published rule and the evidence its applications produced. */
  private static final class LiveRule {
    final RewriteRule rule;
    RulePosterior posterior;

    LiveRule(RewriteRule rule, RulePosterior posterior) {
      this.rule = rule;
      this.posterior = posterior;
    }
  }
}
