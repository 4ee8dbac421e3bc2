package io.hindsight.memory;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

/**
 * The signed hashing trick: turns a feature map into a key of fixed dimension, for models that
 * cannot expose a hidden layer. Immutable and thread-safe; every JVM gives the same vector.
 *
 * <p>A numeric value v of feature {@code name} adds {@code sign · v} at {@code index}, both drawn
 * from the hash of {@code name}; a string (or boolean) value s adds {@code sign · 1} at the hash of
 * {@code name=s}. Hashes are 64-bit FNV-1a over the UTF-8 bytes, mixed with the seed and finished
 * with the SplitMix64 avalanche, so they do not depend on {@link String#hashCode()}. Features are
 * added in sorted key order, so the float sums of colliding features do not depend on the map's
 * iteration order. Null values are absent features.
 */
public final class FeatureHasher {

  private static final byte NUMERIC = 1;
  private static final byte CATEGORICAL = 2;

  private final int dimension;
  private final long seed;

  public FeatureHasher(int dimension) {
    this(dimension, 0L);
  }

  public FeatureHasher(int dimension, long seed) {
    if (dimension < 1) {
      throw new IllegalArgumentException("FeatureHasher.dimension must be >= 1, was " + dimension);
    }
    this.dimension = dimension;
    this.seed = seed;
  }

  public int dimension() {
    return dimension;
  }

  /**
   * The hashed vector of {@code features}.
   *
   * @throws IllegalArgumentException naming the feature, for a non-finite number or a value that is
   *     neither a number, a string, a character nor a boolean
   */
  public float[] hash(Map<String, ?> features) {
    float[] out = new float[dimension];
    hashInto(features, out);
    return out;
  }

  /** Adds the hashed {@code features} into {@code out} (length d), which is not cleared first. */
  public void hashInto(Map<String, ?> features, float[] out) {
    if (out.length != dimension) {
      throw new IllegalArgumentException(
          "out has dimension " + out.length + ", the hasher " + dimension);
    }
    String[] names = features.keySet().toArray(new String[0]);
    Arrays.sort(names);
    for (String name : names) {
      Object value = features.get(name);
      if (value == null) {
        continue;
      }
      long h;
      float amount;
      if (value instanceof Number number) {
        double v = number.doubleValue();
        if (!Double.isFinite(v)) {
          throw new IllegalArgumentException("feature '" + name + "' is not finite: " + v);
        }
        h = hash(NUMERIC, name, null);
        amount = (float) v;
      } else if (value instanceof CharSequence
          || value instanceof Boolean
          || value instanceof Character) {
        h = hash(CATEGORICAL, name, value.toString());
        amount = 1f;
      } else {
        throw new IllegalArgumentException(
            "feature '"
                + name
                + "' must be a number, string or boolean, was "
                + value.getClass().getName());
      }
      int index = (int) Long.remainderUnsigned(h, dimension);
      // The sign comes from the top bit, independent of the low bits that chose the index.
      out[index] += h < 0 ? -amount : amount;
    }
  }

  private long hash(byte kind, String name, String value) {
    long h = 0xcbf29ce484222325L ^ seed;
    h = fnv(h, kind);
    h = fnv(h, name.getBytes(StandardCharsets.UTF_8));
    if (value != null) {
      // A zero byte separates name and value: "a=b" + "c" and "a" + "b=c" must not collide.
      h = fnv(h, (byte) 0);
      h = fnv(h, value.getBytes(StandardCharsets.UTF_8));
    }
    return mix(h);
  }

  private static long fnv(long h, byte[] bytes) {
    for (byte b : bytes) {
      h = fnv(h, b);
    }
    return h;
  }

  private static long fnv(long h, byte b) {
    return (h ^ (b & 0xff)) * 0x100000001b3L;
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
