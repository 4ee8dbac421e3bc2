package io.hindsight.datasets;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hindsight.markov.UtteranceNormalizer;
import java.util.Objects;
import java.util.Optional;

/**
 * One user turn of a {@link SessionSimulator}, with the ground truth the serving side never sees.
 *
 * @param userId the simulated user
 * @param sessionId the user's session (one visit: a request, its rephrasings and follow-ups)
 * @param timestamp event time, epoch milliseconds
 * @param utterance what the user said, as the serving side receives it
 * @param intended the correct form of what the user wanted
 * @param intent the Snips intent of {@code intended}
 * @param misrecognized whether {@code utterance} is a misrecognition of {@code intended}: the
 *     systematic one (a truth pair's source) or a one-off
 * @param failing whether the turn failed (a defect), after any rewrite
 * @param rewriteTarget the normalized utterance the serving side substituted, if a rewrite applied
 */
public record SimulatedTurn(
    String userId,
    String sessionId,
    long timestamp,
    String utterance,
    String intended,
    String intent,
    boolean misrecognized,
    boolean failing,
    Optional<String> rewriteTarget) {

  public SimulatedTurn {
    Objects.requireNonNull(userId, "userId");
    Objects.requireNonNull(sessionId, "sessionId");
    Objects.requireNonNull(utterance, "utterance");
    Objects.requireNonNull(intended, "intended");
    Objects.requireNonNull(intent, "intent");
    Objects.requireNonNull(rewriteTarget, "rewriteTarget");
  }

  /** {@link #utterance} in the normal form rewrite rules are keyed by. */
  public String normalizedUtterance() {
    return UtteranceNormalizer.normalize(utterance);
  }

  /** {@link #intended} in normal form. */
  public String normalizedIntended() {
    return UtteranceNormalizer.normalize(intended);
  }

  /**
   * The {@code interaction} event the serving side would publish: userId, timestamp, utterance,
   * sessionId, and {@code rewrite: {source, target}} when a rewrite applied. No {@code signal}:
   * whether the turn failed is for Hindsight to infer.
   */
  public ObjectNode toEvent() {
    ObjectNode event = EventLogWriter.newEvent("interaction");
    event.put("userId", userId);
    event.put("timestamp", timestamp);
    event.put("utterance", utterance);
    event.put("sessionId", sessionId);
    rewriteTarget.ifPresent(
        target ->
            event.putObject("rewrite").put("source", normalizedUtterance()).put("target", target));
    return event;
  }
}
