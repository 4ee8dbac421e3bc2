package io.hindsight.compensation;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A prediction waiting for its outcome, and once labelled, the sample written to the error memory.
 * {@code label} is NaN until the outcome is known. Its binary form (used by the pending store and
 * the labelled-samples topic) is compact: about 40 bytes plus the ids and 4 bytes per key
 * component.
 */
public record Sample(
    String modelId,
    String modelVersion,
    String requestId,
    long timestamp,
    double score,
    double label,
    float[] key,
    String userId,
    String itemId,
    boolean written) {

  private static final byte FORMAT = 1;

  public boolean labelled() {
    return !Double.isNaN(label);
  }

  public Sample withLabel(double newLabel, boolean nowWritten) {
    return new Sample(
        modelId,
        modelVersion,
        requestId,
        timestamp,
        score,
        newLabel,
        key,
        userId,
        itemId,
        nowWritten);
  }

  /** The memory a sample belongs to. */
  public String memoryName() {
    return memoryName(modelId, modelVersion);
  }

  public static String memoryName(String modelId, String modelVersion) {
    return modelId + "@" + modelVersion;
  }

  public byte[] encode() {
    byte[][] strings = {
      utf8(modelId), utf8(modelVersion), utf8(requestId), utf8(userId), utf8(itemId)
    };
    int size = 1 + 8 + 8 + 8 + 1 + 4 + 4 * key.length;
    for (byte[] s : strings) {
      size += 4 + (s == null ? 0 : s.length);
    }
    ByteBuffer buffer = ByteBuffer.allocate(size);
    buffer.put(FORMAT).putLong(timestamp).putDouble(score).putDouble(label);
    buffer.put((byte) (written ? 1 : 0));
    for (byte[] s : strings) {
      if (s == null) {
        buffer.putInt(-1);
      } else {
        buffer.putInt(s.length).put(s);
      }
    }
    buffer.putInt(key.length);
    for (float component : key) {
      buffer.putFloat(component);
    }
    return buffer.array();
  }

  public static Sample decode(byte[] bytes) {
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    byte format = buffer.get();
    if (format != FORMAT) {
      throw new IllegalArgumentException("Unknown sample format " + format);
    }
    long timestamp = buffer.getLong();
    double score = buffer.getDouble();
    double label = buffer.getDouble();
    boolean written = buffer.get() == 1;
    String modelId = string(buffer);
    String modelVersion = string(buffer);
    String requestId = string(buffer);
    String userId = string(buffer);
    String itemId = string(buffer);
    float[] key = new float[buffer.getInt()];
    for (int i = 0; i < key.length; i++) {
      key[i] = buffer.getFloat();
    }
    return new Sample(
        modelId, modelVersion, requestId, timestamp, score, label, key, userId, itemId, written);
  }

  private static byte[] utf8(String s) {
    return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
  }

  private static String string(ByteBuffer buffer) {
    int length = buffer.getInt();
    if (length < 0) {
      return null;
    }
    byte[] bytes = new byte[length];
    buffer.get(bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
