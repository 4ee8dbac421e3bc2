package io.hindsight.replay;

import io.hindsight.events.EventCodec;
import io.hindsight.events.Interaction;
import io.hindsight.events.InvalidEventException;
import io.hindsight.events.Outcome;
import io.hindsight.events.Prediction;
import java.util.Optional;

/**
 * The event types an event log may hold, each validated exactly as Hindsight validates its topic
 * and keyed as the public contract says: predictions and outcomes by requestId, interactions by
 * userId.
 */
public enum ReplayedType {
  PREDICTION("prediction") {
    @Override
    KeyedEvent validate(EventCodec codec, byte[] value) {
      Prediction prediction = codec.prediction(value);
      return new KeyedEvent(prediction.requestId(), prediction.timestamp());
    }
  },
  OUTCOME("outcome") {
    @Override
    KeyedEvent validate(EventCodec codec, byte[] value) {
      Outcome outcome = codec.outcome(value);
      return new KeyedEvent(outcome.requestId(), outcome.timestamp());
    }
  },
  INTERACTION("interaction") {
    @Override
    KeyedEvent validate(EventCodec codec, byte[] value) {
      Interaction interaction = codec.interaction(value);
      return new KeyedEvent(interaction.userId(), interaction.timestamp());
    }
  };

  private final String wireName;

  ReplayedType(String wireName) {
    this.wireName = wireName;
  }

  /** The value of an event log line's {@code type} field. */
  public String wireName() {
    return wireName;
  }

  /** The type whose {@link #wireName()} is {@code name}, if any. */
  public static Optional<ReplayedType> fromWireName(String name) {
    for (ReplayedType type : values()) {
      if (type.wireName.equals(name)) {
        return Optional.of(type);
      }
    }
    return Optional.empty();
  }

  /**
   * The record key and event time of an event value (its JSON without {@code type}).
   *
   * @throws InvalidEventException with the reason Hindsight would reject the record for
   */
  abstract KeyedEvent validate(EventCodec codec, byte[] value);

  /** What validation yields: the record key and the event time. */
  record KeyedEvent(String key, long timestamp) {}
}
