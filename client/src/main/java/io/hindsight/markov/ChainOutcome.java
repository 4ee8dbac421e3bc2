package io.hindsight.markov;

/** How a reformulation chain ended: the absorbing state its last turn moved into. */
public enum ChainOutcome {
  /** The last turn succeeded. */
  SUCCESS,
  /** The user gave up after the last turn. */
  FAILURE
}
