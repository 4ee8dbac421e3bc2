package io.hindsight.rewrite;

import io.hindsight.config.HindsightConfig;
import io.hindsight.markov.ChainSettings;
import io.hindsight.markov.RewriteSettings;
import io.hindsight.markov.RuleLifecycleSettings;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;

/**
 * The rewrite loop's settings, read once from {@link HindsightConfig}.
 *
 * @param maxStates states the replica holds at most before it evicts cold ones
 * @param stateHorizonMs how long (log time) a state must have gone unseen to be evictable
 * @param snapshotIntervalMs wall-clock time at least between two snapshots of the replica
 * @param solverTolerance residual below which the absorption solver leaves a state alone
 * @param solverMaxRelaxations relaxations one decision point may do; the rest carries over
 */
public record RewriteLoopSettings(
    long sessionGapMs,
    long rephraseGapMs,
    long solverIntervalMs,
    ChainSettings chain,
    RewriteSettings policy,
    RuleLifecycleSettings lifecycle,
    int maxStates,
    long stateHorizonMs,
    long snapshotIntervalMs,
    double solverTolerance,
    long solverMaxRelaxations) {

  /** Sessions longer than this are closed early: a bound on per-user state. */
  public static final int MAX_TURNS_PER_SESSION = 64;

  public static RewriteLoopSettings from(HindsightConfig c) {
    RewriteSettings defaults = RewriteSettings.defaults();
    Set<String> blockList = new TreeSet<>();
    c.blockList().forEach(s -> blockList.add(io.hindsight.markov.UtteranceNormalizer.normalize(s)));
    int minSource = c.getInt(HindsightConfig.REWRITE_MIN_SOURCE_USERS);
    int minTransition = c.getInt(HindsightConfig.REWRITE_MIN_TRANSITION_USERS);
    ChainSettings chain =
        ChainSettings.defaults()
            .withMaxSuccessors(c.getInt(HindsightConfig.REWRITE_MAX_SUCCESSORS))
            .withSupportSketchSize(Math.max(32, 2 * Math.max(minSource, minTransition)));
    RewriteSettings policy =
        new RewriteSettings(
            c.getDouble(HindsightConfig.REWRITE_MARGIN),
            minSource,
            minTransition,
            c.getBoolean(HindsightConfig.REWRITE_SIMILARITY_GUARD),
            c.getDouble(HindsightConfig.REWRITE_MAX_EDIT_DISTANCE),
            defaults.minTokenJaccard(),
            defaults.phoneticMatch(),
            blockList,
            defaults.maxSearchDepth(),
            c.getInt(HindsightConfig.REWRITE_SEARCH_MAX_STATES),
            c.getLong(HindsightConfig.REWRITE_SEARCH_MAX_PUSHES));
    RuleLifecycleSettings lifecycle =
        new RuleLifecycleSettings(
            c.getInt(HindsightConfig.REWRITE_RETRACTION_MIN_APPLICATIONS),
            c.getDouble(HindsightConfig.REWRITE_RETRACTION_CONFIDENCE),
            Duration.ofMillis(c.getLong(HindsightConfig.REWRITE_COOLDOWN_MS)),
            RuleLifecycleSettings.defaults().republishTolerance());
    return new RewriteLoopSettings(
        c.getLong(HindsightConfig.REWRITE_SESSION_GAP_MS),
        c.getLong(HindsightConfig.REWRITE_REPHRASE_GAP_MS),
        c.getLong(HindsightConfig.REWRITE_SOLVER_INTERVAL_MS),
        chain,
        policy,
        lifecycle,
        c.getInt(HindsightConfig.REWRITE_MAX_STATES),
        c.getLong(HindsightConfig.REWRITE_STATE_HORIZON_MS),
        c.getLong(HindsightConfig.REWRITE_SNAPSHOT_INTERVAL_MS),
        c.getDouble(HindsightConfig.REWRITE_SOLVER_TOLERANCE),
        c.getLong(HindsightConfig.REWRITE_SOLVER_MAX_RELAXATIONS));
  }
}
