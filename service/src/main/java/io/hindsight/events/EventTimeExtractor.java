package io.hindsight.events;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.processor.TimestampExtractor;

/** Event time is the payload's {@code timestamp}, so windows and replays follow the events. */
public final class EventTimeExtractor implements TimestampExtractor {
  @Override
  public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
    Object value = record.value();
    if (value instanceof Prediction p) {
      return p.timestamp();
    } else if (value instanceof Outcome o) {
      return o.timestamp();
    } else if (value instanceof Interaction i) {
      return i.timestamp();
    }
    return record.timestamp() >= 0 ? record.timestamp() : partitionTime;
  }
}
