package io.hindsight.rewrite;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.hindsight.events.EventCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * One entry of the internal reformulations log, which every instance replays into its replica of
 * the chain: either an organic chain of utterances absorbed in success or failure, or the outcome
 * of a turn on which a rule was applied (a treatment).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Reformulation(
    String userId,
    long timestamp,
    List<String> utterances,
    Boolean succeeded,
    String ruleSource,
    String ruleTarget) {

  public static Reformulation chain(
      String userId, long timestamp, List<String> utterances, boolean succeeded) {
    return new Reformulation(userId, timestamp, List.copyOf(utterances), succeeded, null, null);
  }

  public static Reformulation treatment(
      String userId, long timestamp, String source, String target, boolean succeeded) {
    return new Reformulation(userId, timestamp, null, succeeded, source, target);
  }

  public boolean isTreatment() {
    return ruleSource != null;
  }

  public byte[] encode() {
    return EventCodec.encode(this);
  }

  public static Reformulation decode(byte[] bytes) {
    try {
      return EventCodec.JSON.readValue(bytes, Reformulation.class);
    } catch (IOException e) {
      throw new UncheckedIOException("Corrupt reformulation record", e);
    }
  }
}
