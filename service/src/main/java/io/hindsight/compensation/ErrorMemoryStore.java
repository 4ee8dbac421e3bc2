package io.hindsight.compensation;

import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.query.Position;

/**
 * The {@link ErrorMemoryReplica} as this service's Kafka Streams global store, fed by {@link
 * MemoryWriter}: the embeddable client applies the same records to the same class, which is what
 * makes their scores bit-identical at the same offsets. Thread-safe, as the replica is.
 */
public final class ErrorMemoryStore extends ErrorMemoryReplica implements StateStore {

  public ErrorMemoryStore(CompensationSettings settings) {
    super(settings);
  }

  @Override
  public void init(StateStoreContext context, StateStore root) {
    open(context.stateDir().toPath().resolve(NAME));
    context.register(
        root,
        (key, value) -> {
          throw new IllegalStateException("The error memory is restored through its processor");
        });
  }

  @Override
  public Position getPosition() {
    return Position.emptyPosition();
  }
}
