package io.hindsight.markov;

import java.util.Objects;

/**
 * One change to the rule table, for the compacted {@code rewrites} topic: a CREATED or UPDATED rule
 * is published under its source, a RETRACTED one becomes a tombstone. Immutable.
 *
 * @param type what happened
 * @param rule the rule as published, or for RETRACTED the rule as it was last published
 * @param reason why
 */
public record RuleChange(Type type, RewriteRule rule, Reason reason) {

  /** What happened to the rule. */
  public enum Type {
    CREATED,
    UPDATED,
    RETRACTED
  }

  /** Why it happened. */
  public enum Reason {
    /** A source without a rule now has a target passing every guard. */
    CHOSEN,
    /** The best target of a live source changed; the rule's own evidence starts again. */
    TARGET_CHANGED,
    /** Same target, but confidence or a success rate moved beyond the republish tolerance. */
    FIGURES_MOVED,
    /** The rule's own applications are credibly worse than leaving the source alone. */
    UNDERPERFORMING,
    /** The statistics no longer support any target for the source. */
    WITHDRAWN
  }

  public RuleChange {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(rule, "rule");
    Objects.requireNonNull(reason, "reason");
  }

  /** The key on the {@code rewrites} topic. */
  public String source() {
    return rule.source();
  }

  /** Whether this change is published as a tombstone. */
  public boolean isTombstone() {
    return type == Type.RETRACTED;
  }
}
