package io.hindsight;

import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.state.StoreBuilder;

/**
 * Builds a custom global store whose source topic is its changelog: logging stays off, caching does
 * not apply.
 */
public record GlobalStoreBuilder<S extends StateStore>(String name, Supplier<S> store)
    implements StoreBuilder<S> {

  @Override
  public StoreBuilder<S> withCachingEnabled() {
    return this;
  }

  @Override
  public StoreBuilder<S> withCachingDisabled() {
    return this;
  }

  @Override
  public StoreBuilder<S> withLoggingEnabled(Map<String, String> config) {
    throw new UnsupportedOperationException(name + " is restored from its source topic");
  }

  @Override
  public StoreBuilder<S> withLoggingDisabled() {
    return this;
  }

  @Override
  public S build() {
    return store.get();
  }

  @Override
  public Map<String, String> logConfig() {
    return Map.of();
  }

  @Override
  public boolean loggingEnabled() {
    return false;
  }
}
