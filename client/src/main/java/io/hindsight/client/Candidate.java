package io.hindsight.client;

import java.util.Map;

/**
 * A prediction to compensate, as the predictions topic would carry it: its base score, its key (the
 * model's embedding, or features hashed into one) and the values of the declared fields.
 *
 * @param features by name, as the predictions topic's JSON would give them (a number's string form
 *     is what a field memory keys on); null when the candidate has an embedding
 * @param timestamp event time in epoch milliseconds, or {@link #NOW} for the client's clock
 */
public record Candidate(
    double score,
    float[] embedding,
    Map<String, Object> features,
    String userId,
    String itemId,
    long timestamp) {

  /** The timestamp of a candidate scored at the time it is asked about. */
  public static final long NOW = Long.MIN_VALUE;

  public Candidate {
    if (!Double.isFinite(score)) {
      throw new IllegalArgumentException("score must be finite, not " + score);
    }
    if ((embedding == null) == (features == null)) {
      throw new IllegalArgumentException("a candidate has an embedding or features, not both");
    }
  }

  /** A candidate keyed by the model's embedding, at the time it is asked about. */
  public static Candidate of(double score, float[] embedding) {
    return new Candidate(score, embedding, null, null, null, NOW);
  }

  /** A candidate keyed by its features hashed, at the time it is asked about. */
  public static Candidate ofFeatures(double score, Map<String, Object> features) {
    return new Candidate(score, null, features, null, null, NOW);
  }

  public Candidate withUser(String user) {
    return new Candidate(score, embedding, features, user, itemId, timestamp);
  }

  public Candidate withItem(String item) {
    return new Candidate(score, embedding, features, userId, item, timestamp);
  }

  public Candidate at(long eventTime) {
    return new Candidate(score, embedding, features, userId, itemId, eventTime);
  }
}
