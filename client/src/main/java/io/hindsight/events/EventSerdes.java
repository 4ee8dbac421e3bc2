package io.hindsight.events;

import java.util.function.Function;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/** Kafka serdes for the event records; deserialization validates and throws on bad input. */
public final class EventSerdes {
  private EventSerdes() {}

  public static <T> Serde<T> json(Function<byte[], T> reader) {
    Serializer<T> serializer = (topic, event) -> event == null ? null : EventCodec.encode(event);
    Deserializer<T> deserializer = (topic, bytes) -> reader.apply(bytes);
    return Serdes.serdeFrom(serializer, deserializer);
  }

  /** For outputs only (compensations, rewrites): reading them back is the consumer's business. */
  public static <T> Serde<T> jsonOut(Class<T> type) {
    return json(
        bytes -> {
          if (bytes == null) {
            return null;
          }
          try {
            return EventCodec.JSON.readValue(bytes, type);
          } catch (java.io.IOException e) {
            throw new InvalidEventException(RejectionReason.MALFORMED_JSON, e.getMessage());
          }
        });
  }
}
