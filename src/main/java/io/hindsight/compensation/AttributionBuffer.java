package io.hindsight.compensation;

import static io.hindsight.events.RejectionReason.DUPLICATE_OUTCOME;
import static io.hindsight.events.RejectionReason.LATE_OUTCOME;
import static io.hindsight.events.RejectionReason.ORPHAN_OUTCOME;

import io.hindsight.events.InvalidEventException;
import io.hindsight.events.Outcome;
import io.hindsight.events.RejectionReason;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Predictions waiting for their outcomes, over two changelogged stores: pending samples by
 * requestId, and a time index ordered by the event time at which each window closes. A closed
 * request leaves a marker for one more window so a late outcome is told apart from an orphan.
 * Single-threaded (one per task).
 */
final class AttributionBuffer {
  static final String PENDING_STORE = "compensation-pending";
  static final String INDEX_STORE = "compensation-window-index";

  private static final byte[] CLOSED = {0};
  private static final byte CLOSE = 1;
  private static final byte PURGE = 2;

  private final KeyValueStore<String, byte[]> pending;
  private final KeyValueStore<Bytes, byte[]> index;
  private final long windowMs;

  AttributionBuffer(
      KeyValueStore<String, byte[]> pending, KeyValueStore<Bytes, byte[]> index, long windowMs) {
    this.pending = pending;
    this.index = index;
    this.windowMs = windowMs;
  }

  boolean contains(String requestId) {
    return pending.get(requestId) != null;
  }

  void add(Sample sample) {
    pending.put(sample.requestId(), sample.encode());
    index.put(indexKey(sample.timestamp() + windowMs, sample.requestId()), new byte[] {CLOSE});
  }

  /**
   * Attaches an outcome to its waiting prediction and returns the labelled sample.
   *
   * @throws InvalidEventException orphan, late or duplicate outcome; the buffer is unchanged
   */
  Sample attach(Outcome outcome, boolean markWritten) {
    byte[] stored = pending.get(outcome.requestId());
    if (stored == null) {
      throw new InvalidEventException(ORPHAN_OUTCOME, "no prediction " + outcome.requestId());
    }
    if (stored.length == CLOSED.length) {
      throw reject(LATE_OUTCOME, outcome, "its attribution window has closed");
    }
    Sample sample = Sample.decode(stored);
    if (sample.labelled()) {
      throw reject(DUPLICATE_OUTCOME, outcome, "it already has an outcome");
    }
    if (outcome.timestamp() > sample.timestamp() + windowMs) {
      throw reject(LATE_OUTCOME, outcome, "it arrived after its attribution window");
    }
    Sample labelled = sample.withLabel(outcome.label(), markWritten);
    pending.put(outcome.requestId(), labelled.encode());
    return labelled;
  }

  private static InvalidEventException reject(RejectionReason reason, Outcome outcome, String why) {
    return new InvalidEventException(reason, "outcome for " + outcome.requestId() + ": " + why);
  }

  /**
   * Closes every window that ended at or before {@code streamTime}, in event-time order, handing
   * each sample (labelled or not) to {@code closed}.
   */
  void closeUntil(long streamTime, Consumer<Sample> closed) {
    List<KeyValue<Bytes, byte[]>> due = new ArrayList<>();
    try (KeyValueIterator<Bytes, byte[]> it =
        index.range(indexKey(0, ""), indexKey(streamTime + 1, ""))) {
      it.forEachRemaining(due::add);
    }
    for (KeyValue<Bytes, byte[]> entry : due) {
      index.delete(entry.key);
      String requestId = requestId(entry.key);
      if (entry.value[0] == PURGE) {
        pending.delete(requestId);
        continue;
      }
      byte[] stored = pending.get(requestId);
      if (stored == null || stored.length == CLOSED.length) {
        continue;
      }
      long closedAt = closeTime(entry.key);
      pending.put(requestId, CLOSED);
      index.put(indexKey(closedAt + windowMs, requestId), new byte[] {PURGE});
      closed.accept(Sample.decode(stored));
    }
  }

  long approximateSize() {
    return pending.approximateNumEntries();
  }

  private static Bytes indexKey(long closeAt, String requestId) {
    byte[] id = requestId.getBytes(StandardCharsets.UTF_8);
    return Bytes.wrap(ByteBuffer.allocate(8 + id.length).putLong(closeAt).put(id).array());
  }

  private static long closeTime(Bytes key) {
    return ByteBuffer.wrap(key.get()).getLong();
  }

  private static String requestId(Bytes key) {
    byte[] bytes = key.get();
    return new String(bytes, 8, bytes.length - 8, StandardCharsets.UTF_8);
  }
}
