package io.hindsight;

import io.hindsight.config.HindsightConfig;
import java.util.function.Function;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.Stores;

/** Key-value stores of the configured type ({@value HindsightConfig#STATE_STORE_TYPE}). */
public final class KeyValueStores {
  private KeyValueStores() {}

  /** By store name: in-memory or persistent, as configured. */
  public static Function<String, KeyValueBytesStoreSupplier> of(HindsightConfig config) {
    boolean inMemory = config.getString(HindsightConfig.STATE_STORE_TYPE).equals("in-memory");
    return name ->
        inMemory ? Stores.inMemoryKeyValueStore(name) : Stores.persistentKeyValueStore(name);
  }
}
