package io.hindsight.compensation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.hindsight.DerivedIndex;
import io.hindsight.events.Outcome;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

/** The attribution buffer over real in-memory stores, across the loss of its time index. */
class AttributionBufferTest {
  private static final long T0 = 1_600_000_000_000L;
  private static final long WINDOW = 60_000;
  private static final long GRACE = 30_000;

  private final MockProcessorContext<Object, Object> context = new MockProcessorContext<>();
  private final KeyValueStore<String, byte[]> pending = store("pending", Serdes.String());

  private <K> KeyValueStore<K, byte[]> store(String name, Serde<K> keys) {
    KeyValueStore<K, byte[]> store =
        Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), keys, Serdes.ByteArray())
            .withLoggingDisabled()
            .build();
    store.init(context.getStateStoreContext(), store);
    return store;
  }

  private static Sample prediction(String requestId, long timestamp) {
    return new Sample(
        "m",
        "v1",
        requestId,
        timestamp,
        0.2,
        Double.NaN,
        new float[] {1, 0},
        Map.of(),
        null,
        false);
  }

  private static SourcedOutcome outcome(String requestId, long timestamp) {
    return new SourcedOutcome(
        new Outcome(requestId, timestamp, 1.0), requestId, "outcomes", 0, timestamp);
  }

  @Test
  void shouldCloseEveryWaitingRequestAfterItsTimeIndexIsRebuiltFromThePendingStore() {
    AttributionBuffer before =
        new AttributionBuffer(pending, store("index-before", Serdes.Bytes()), WINDOW, GRACE, 0);
    before.add(prediction("r1", T0), false, rejected -> {});
    before.attach(outcome("r1", T0 + 1_000), false);
    before.add(prediction("r2", T0 + 10), false, rejected -> {});
    before.attach(outcome("early", T0 + 2_000), false);

    KeyValueStore<Bytes, byte[]> staleIndex = store("index-after", Serdes.Bytes());
    staleIndex.put(DerivedIndex.key(T0 + 100, "gone"), DerivedIndex.NOTHING);
    AttributionBuffer after = new AttributionBuffer(pending, staleIndex, WINDOW, GRACE, 0);
    after.rebuildIndex();

    List<Sample> closed = new ArrayList<>();
    List<AttributionBuffer.RejectedOutcome> orphans = new ArrayList<>();
    after.closeUntil(T0 + WINDOW + GRACE + 5_000, closed::add, orphans::add);
    assertThat(closed)
        .extracting(Sample::requestId, Sample::label)
        .containsExactly(tuple("r1", 1.0), tuple("r2", Double.NaN));
    assertThat(orphans)
        .extracting(o -> o.outcome().outcome().requestId())
        .as("the early outcome's grace ended without its prediction")
        .containsExactly("early");
  }
}
