package io.hindsight.markov;

/** A reason {@link RewritePolicy} refuses to rewrite a source into a target. */
public enum RewriteGuard {
  /** The source or the target has never been seen. */
  UNKNOWN_STATE,
  /** The target is the source. */
  SAME_STATE,
  /** The source or the target is on the block list. */
  BLOCKED,
  /** The source is a live rule's target, or the target is a live rule's source. */
  CHAINED,
  /** Too few distinct users said the source. */
  SOURCE_SUPPORT,
  /** Too few distinct users reformulated the source directly into the target. */
  TRANSITION_SUPPORT,
  /** R_S(target) − R_S(source) is below the margin: no friction removed. */
  NO_FRICTION_REMOVED,
  /** P_S(target) < P_S(source): eventual success would get worse. */
  EVENTUAL_SUCCESS_WORSE,
  /** The similarity guard is on and the two utterances do not look alike. */
  DISSIMILAR
}
