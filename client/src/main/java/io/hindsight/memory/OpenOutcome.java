package io.hindsight.memory;

/**
 * What opening a memory found. Persisted memories are a cache of Kafka: only {@link #RESTORED}
 * contents continue where the last clean close left them; in every other case the memory starts
 * empty and the caller rebuilds it from the labelled-sample topic.
 */
public enum OpenOutcome {
  /** No previous state: a new, empty memory (in-memory implementations always report this). */
  CREATED,
  /** A cleanly closed file with the same content layout was reopened as it was. */
  RESTORED,
  /**
   * The previous file was not closed cleanly (crash, kill): its contents may hold a partly applied
   * write or writes past the caller's checkpoint, so they were discarded.
   */
  DISCARDED_UNCLEAN,
  /** The previous file had another format, another content layout or was damaged: discarded. */
  DISCARDED_INCOMPATIBLE;

  /** Whether the caller must replay the labelled samples to rebuild the memory. */
  public boolean needsRebuild() {
    return this != RESTORED;
  }
}
