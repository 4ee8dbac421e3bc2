package io.hindsight.markov;

/**
 * Which states are the source or target of a live rule, so that {@link RewritePolicy} can refuse
 * chains of rules. Read on the writer's thread, like the rest of this package.
 */
public interface LiveRules {

  /** No live rules. */
  LiveRules NONE =
      new LiveRules() {
        @Override
        public boolean isLiveSource(String state) {
          return false;
        }

        @Override
        public boolean isLiveTarget(String state) {
          return false;
        }
      };

  /** Whether a live rule rewrites {@code state}. */
  boolean isLiveSource(String state);

  /** Whether a live rule rewrites something into {@code state}. */
  boolean isLiveTarget(String state);
}
