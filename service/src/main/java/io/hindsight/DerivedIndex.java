package io.hindsight;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * A time index over (time, id) keys that is derived from another store and so has no changelog: a
 * task rebuilds it when it starts, because a persistent copy may have lost or kept entries across a
 * crash.
 */
public final class DerivedIndex {
  /** The value of every entry: the key says it all. */
  public static final byte[] NOTHING = new byte[0];

  private DerivedIndex() {}

  /** The key of an entry: the time, big-endian so keys sort by it, then the id. */
  public static Bytes key(long time, String id) {
    byte[] bytes = id.getBytes(StandardCharsets.UTF_8);
    return Bytes.wrap(
        ByteBuffer.allocate(Long.BYTES + bytes.length).putLong(time).put(bytes).array());
  }

  public static long time(Bytes key) {
    return ByteBuffer.wrap(key.get()).getLong();
  }

  public static String id(Bytes key) {
    byte[] bytes = key.get();
    return new String(bytes, Long.BYTES, bytes.length - Long.BYTES, StandardCharsets.UTF_8);
  }

  /** Deletes every entry, ready to be rebuilt. */
  public static void clear(KeyValueStore<Bytes, byte[]> index) {
    List<Bytes> keys = new ArrayList<>();
    try (KeyValueIterator<Bytes, byte[]> it = index.all()) {
      it.forEachRemaining(entry -> keys.add(entry.key));
    }
    keys.forEach(index::delete);
  }
}
