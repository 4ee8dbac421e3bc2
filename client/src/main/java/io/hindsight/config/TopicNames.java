package io.hindsight.config;

/**
 * The names, after {@value HindsightConfig#TOPIC_PREFIX}, of the topics the service and the
 * embeddable client both read.
 */
public final class TopicNames {
  private TopicNames() {}

  /** Labelled samples and tasks' progress: the error memories' log. */
  public static final String LABELLED_SAMPLES = "labelled-samples";

  /** The single-partition reformulations log the rewrite chain and its rules are built from. */
  public static final String REFORMULATIONS = "reformulations";
}
