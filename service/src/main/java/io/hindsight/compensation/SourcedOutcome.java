package io.hindsight.compensation;

import io.hindsight.events.Outcome;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * An outcome with its record key (null if it had none) and where it was read from, kept while it
 * waits for a prediction that has not arrived yet, so that if it is rejected later its dead-letter
 * record still carries its key and names its source.
 */
record SourcedOutcome(Outcome outcome, String key, String topic, int partition, long offset) {

  /**
   * Distinct from {@link Sample}'s format bytes (small version numbers): both live in the
   * attribution buffer's pending store.
   */
  static final byte FORMAT = (byte) 'O';

  byte[] encode() {
    byte[] id = outcome.requestId().getBytes(StandardCharsets.UTF_8);
    byte[] recordKey = key == null ? new byte[0] : key.getBytes(StandardCharsets.UTF_8);
    byte[] source = topic.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(
            1 + 8 + 8 + 4 + 8 + 4 + id.length + 4 + recordKey.length + 4 + source.length)
        .put(FORMAT)
        .putLong(outcome.timestamp())
        .putDouble(outcome.label())
        .putInt(partition)
        .putLong(offset)
        .putInt(id.length)
        .put(id)
        .putInt(key == null ? -1 : recordKey.length)
        .put(recordKey)
        .putInt(source.length)
        .put(source)
        .array();
  }

  static SourcedOutcome decode(byte[] bytes) {
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    if (buffer.get() != FORMAT) {
      throw new IllegalArgumentException("not an outcome: format " + bytes[0]);
    }
    long timestamp = buffer.getLong();
    double label = buffer.getDouble();
    int partition = buffer.getInt();
    long offset = buffer.getLong();
    String requestId = Sample.string(buffer);
    String key = Sample.string(buffer);
    String topic = Sample.string(buffer);
    return new SourcedOutcome(
        new Outcome(requestId, timestamp, label), key, topic, partition, offset);
  }

  static boolean isEncoded(byte[] bytes) {
    return bytes.length > 0 && bytes[0] == FORMAT;
  }
}
