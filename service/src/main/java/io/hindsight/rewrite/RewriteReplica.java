package io.hindsight.rewrite;

import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.query.Position;

/**
 * The {@link ChainReplica} as this service's Kafka Streams global store, fed by {@link
 * ReplicaWriter}; the embeddable client replays the same log into the same class. Thread-safe.
 */
public final class RewriteReplica extends ChainReplica implements StateStore {

  public RewriteReplica(RewriteLoopSettings settings) {
    super(settings);
  }

  @Override
  public void init(StateStoreContext context, StateStore root) {
    context.register(
        root,
        (key, value) -> {
          throw new IllegalStateException("The chain replica is restored through its processor");
        });
    open();
  }

  @Override
  public Position getPosition() {
    return Position.emptyPosition();
  }
}
