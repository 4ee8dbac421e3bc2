package io.hindsight.compensation;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A prediction waiting for its outcome, and once labelled, the sample written to the error memory.
 * {@code label} is NaN until the outcome is known. It carries what every replica needs to apply it
 * identically: the sketch key, the declared fields' values and the blend's features as they were
 * when the prediction was scored (so every replica's blend learns from the same inputs, however far
 * its own memories had got). Its binary form (used by the pending store and the labelled-samples
 * topic) is compact: about 40 bytes plus the ids, 4 bytes per key component, 8 per blend feature.
 *
 * @param fieldValues declared field → the prediction's value; fields it lacks (null or empty) are
 *     absent
 * @param features the blend's features at prediction time; empty when not scored (a dimension
 *     declaration, or a sample recorded before blends existed)
 */
public record Sample(
    String modelId,
    String modelVersion,
    String requestId,
    long timestamp,
    double score,
    double label,
    float[] key,
    Map<String, String> fieldValues,
    double[] features,
    boolean written) {

  private static final byte FORMAT_1 = 1;
  // Versions stay below SourcedOutcome.FORMAT and the deferral mark ('D'): all three begin values
  // of
  // the attribution buffer's pending store.
  private static final byte FORMAT = 2;
  private static final double[] NO_FEATURES = new double[0];

  public Sample {
    TreeMap<String, String> present = new TreeMap<>();
    if (fieldValues != null) {
      fieldValues.forEach(
          (field, value) -> {
            if (value != null && !value.isEmpty()) {
              present.put(field, value);
            }
          });
    }
    fieldValues = present;
    features = features == null ? NO_FEATURES : features;
  }

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
        fieldValues,
        features,
        nowWritten);
  }

  /** This prediction with the blend's features it was scored with. */
  public Sample withFeatures(double[] scoredFeatures) {
    return new Sample(
        modelId,
        modelVersion,
        requestId,
        timestamp,
        score,
        label,
        key,
        fieldValues,
        scoredFeatures,
        written);
  }

  /** The memory a sample belongs to. */
  public String memoryName() {
    return memoryName(modelId, modelVersion);
  }

  public static String memoryName(String modelId, String modelVersion) {
    return modelId + "@" + modelVersion;
  }

  public byte[] encode() {
    byte[][] strings = {utf8(modelId), utf8(modelVersion), utf8(requestId)};
    byte[][] fields = new byte[2 * fieldValues.size()][];
    int f = 0;
    for (Map.Entry<String, String> entry : fieldValues.entrySet()) {
      fields[f++] = utf8(entry.getKey());
      fields[f++] = utf8(entry.getValue());
    }
    int size = 1 + 8 + 8 + 8 + 1 + 4 + 4 * key.length + 4 + 4 + 8 * features.length;
    for (byte[] s : strings) {
      size += 4 + (s == null ? 0 : s.length);
    }
    for (byte[] s : fields) {
      size += 4 + s.length;
    }
    ByteBuffer buffer = ByteBuffer.allocate(size);
    buffer.put(FORMAT).putLong(timestamp).putDouble(score).putDouble(label);
    buffer.put((byte) (written ? 1 : 0));
    for (byte[] s : strings) {
      putString(buffer, s);
    }
    buffer.putInt(key.length);
    for (float component : key) {
      buffer.putFloat(component);
    }
    buffer.putInt(fieldValues.size());
    for (byte[] s : fields) {
      putString(buffer, s);
    }
    buffer.putInt(features.length);
    for (double feature : features) {
      buffer.putDouble(feature);
    }
    return buffer.array();
  }

  /** Marks the late-features form, which a sample's own format bytes never start with. */
  private static final byte LATE_FEATURES = (byte) 'F';

  /**
   * This sample as the blend's features of a sample published before its prediction was scored: the
   * memories took the sample then; the blend learns from this.
   */
  public byte[] encodeLateFeatures() {
    byte[] sample = encode();
    byte[] bytes = new byte[sample.length + 1];
    bytes[0] = LATE_FEATURES;
    System.arraycopy(sample, 0, bytes, 1, sample.length);
    return bytes;
  }

  public static boolean isLateFeatures(byte[] bytes) {
    return bytes.length > 0 && bytes[0] == LATE_FEATURES;
  }

  public static Sample decodeLateFeatures(byte[] bytes) {
    return decode(Arrays.copyOfRange(bytes, 1, bytes.length));
  }

  /** Decodes this format, or format 1 (user and item ids, no features) written before it. */
  public static Sample decode(byte[] bytes) {
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    byte format = buffer.get();
    if (format != FORMAT && format != FORMAT_1) {
      throw new IllegalArgumentException("Unknown sample format " + format);
    }
    long timestamp = buffer.getLong();
    double score = buffer.getDouble();
    double label = buffer.getDouble();
    boolean written = buffer.get() == 1;
    String modelId = string(buffer);
    String modelVersion = string(buffer);
    String requestId = string(buffer);
    Map<String, String> fieldValues = new TreeMap<>();
    if (format == FORMAT_1) {
      putIfPresent(fieldValues, "userId", string(buffer));
      putIfPresent(fieldValues, "itemId", string(buffer));
    }
    float[] key = new float[buffer.getInt()];
    for (int i = 0; i < key.length; i++) {
      key[i] = buffer.getFloat();
    }
    double[] features = NO_FEATURES;
    if (format == FORMAT) {
      int fields = buffer.getInt();
      for (int i = 0; i < fields; i++) {
        fieldValues.put(string(buffer), string(buffer));
      }
      features = new double[buffer.getInt()];
      for (int i = 0; i < features.length; i++) {
        features[i] = buffer.getDouble();
      }
    }
    return new Sample(
        modelId,
        modelVersion,
        requestId,
        timestamp,
        score,
        label,
        key,
        fieldValues,
        features,
        written);
  }

  private static void putIfPresent(Map<String, String> values, String field, String value) {
    if (value != null) {
      values.put(field, value);
    }
  }

  private static void putString(ByteBuffer buffer, byte[] s) {
    if (s == null) {
      buffer.putInt(-1);
    } else {
      buffer.putInt(s.length).put(s);
    }
  }

  private static byte[] utf8(String s) {
    return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
  }

  /** A length-prefixed UTF-8 string, null for length -1. */
  static String string(ByteBuffer buffer) {
    int length = buffer.getInt();
    if (length < 0) {
      return null;
    }
    byte[] bytes = new byte[length];
    buffer.get(bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Sample other
        && timestamp == other.timestamp
        && Double.compare(score, other.score) == 0
        && Double.compare(label, other.label) == 0
        && written == other.written
        && Objects.equals(modelId, other.modelId)
        && Objects.equals(modelVersion, other.modelVersion)
        && Objects.equals(requestId, other.requestId)
        && Arrays.equals(key, other.key)
        && fieldValues.equals(other.fieldValues)
        && Arrays.equals(features, other.features);
  }

  @Override
  public int hashCode() {
    return Objects.hash(modelId, modelVersion, requestId, timestamp, label, written)
        + 31 * Arrays.hashCode(key)
        + 17 * Arrays.hashCode(features);
  }
}
