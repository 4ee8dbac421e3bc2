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
    after.predictionRead(T0 + WINDOW + GRACE + 5_000);
    after.outcomeRead(T0 + WINDOW + GRACE + 5_000);
    after.closeDue((sample, at) -> closed.add(sample), orphans::add, Long.MAX_VALUE);
    assertThat(closed)
        .extracting(Sample::requestId, Sample::label)
        .containsExactly(tuple("r1", 1.0), tuple("r2", Double.NaN));
    assertThat(orphans)
        .extracting(o -> o.outcome().outcome().requestId())
        .as("the early outcome's grace ended without its prediction")
        .containsExactly("early");
  }

  private AttributionBuffer buffer() {
    return new AttributionBuffer(pending, store("index", Serdes.Bytes()), WINDOW, GRACE, 0);
  }

  private static List<String> closedIds(AttributionBuffer buffer) {
    List<String> closed = new ArrayList<>();
    buffer.closeDue((sample, at) -> closed.add(sample.requestId()), rejected -> {}, Long.MAX_VALUE);
    return closed;
  }

  @Test
  void shouldKeepAWindowOpenUntilTheOutcomesReadHavePassedItsEnd() {
    AttributionBuffer buffer = buffer();
    buffer.add(prediction("r1", T0), false, rejected -> {});
    buffer.predictionRead(T0);
    // The predictions partition ran a day ahead of the outcomes partition.
    buffer.predictionRead(T0 + 86_400_000);
    buffer.outcomeRead(T0 + WINDOW - 1);
    assertThat(closedIds(buffer)).isEmpty();
    assertThat(buffer.attach(outcome("r1", T0 + WINDOW - 1), false).label()).isEqualTo(1.0);
    buffer.outcomeRead(T0 + WINDOW);
    assertThat(closedIds(buffer)).containsExactly("r1");
  }

  @Test
  void shouldKeepAWindowOpenUntilNoUnreadPredictionCanBelongToIt() {
    AttributionBuffer buffer = buffer();
    buffer.add(prediction("r1", T0), false, rejected -> {});
    buffer.predictionRead(T0);
    buffer.outcomeRead(T0 + 3 * WINDOW);
    assertThat(closedIds(buffer))
        .as("closed: a prediction read from now on is later than T0 + 3 windows - 1 window")
        .containsExactly("r1");
    assertThat(buffer.closedUntil()).isEqualTo(T0 + WINDOW);
  }

  @Test
  void shouldOrphanAnEarlyOutcomeOnlyWhenThePredictionsReadHavePassedItsGrace() {
    AttributionBuffer buffer = buffer();
    assertThat(buffer.attach(outcome("r1", T0), false)).isNull();
    buffer.outcomeRead(T0);
    buffer.outcomeRead(T0 + 86_400_000);
    List<AttributionBuffer.RejectedOutcome> orphans = new ArrayList<>();
    buffer.closeDue((sample, at) -> {}, orphans::add, Long.MAX_VALUE);
    assertThat(orphans).as("its prediction may still be unread").isEmpty();
    buffer.add(prediction("r1", T0 - 10), false, rejected -> {});
    assertThat(buffer.waiting("r1").label()).isEqualTo(1.0);
  }

  @Test
  void shouldCloseOnThePredictionsAloneOnceTheOutcomesInputIsIdle() {
    AttributionBuffer buffer = buffer();
    buffer.add(prediction("r1", T0), false, rejected -> {});
    buffer.predictionRead(T0 + 2 * WINDOW);
    assertThat(closedIds(buffer)).isEmpty();
    assertThat(buffer.idle(false, true)).isTrue();
    assertThat(closedIds(buffer)).containsExactly("r1");
    assertThat(buffer.idle()).as("only one input is idle").isFalse();
  }

  @Test
  void shouldKeepADeferralWithItsPredictionThroughItsOutcomeUntilCompensated() {
    AttributionBuffer buffer =
        new AttributionBuffer(pending, store("index", Serdes.Bytes()), WINDOW, GRACE, 0);
    AttributionBuffer.Deferral deferral = new AttributionBuffer.Deferral(42, T0 - 7);
    buffer.add(prediction("r1", T0), labelled -> false, rejected -> {}, deferral);
    buffer.add(prediction("r2", T0 + 5), false, rejected -> {});
    buffer.attach(outcome("r1", T0 + 1_000), false);

    assertThat(buffer.deferred())
        .extracting(p -> p.sample().requestId(), p -> p.sample().label(), p -> p.deferral())
        .containsExactly(tuple("r1", 1.0, deferral));
    assertThat(buffer.parked("r2").deferral()).isNull();

    Sample scored = buffer.parked("r1").sample().withFeatures(new double[] {0.5});
    buffer.compensated(scored);
    assertThat(buffer.deferred()).isEmpty();
    assertThat(buffer.waiting("r1")).isEqualTo(scored);
  }

  @Test
  void shouldTakeOverADeferralKeptInTheEarlierSeparateStore() {
    AttributionBuffer buffer =
        new AttributionBuffer(pending, store("index", Serdes.Bytes()), WINDOW, GRACE, 0);
    buffer.add(prediction("r1", T0), false, rejected -> {});
    buffer.attach(outcome("early", T0 + 2_000), false);

    AttributionBuffer.Deferral deferral = new AttributionBuffer.Deferral(42, T0);
    assertThat(buffer.defer("r1", deferral)).isTrue();
    assertThat(buffer.defer("early", deferral)).as("an outcome is never deferred").isFalse();
    assertThat(buffer.defer("unknown", deferral)).isFalse();
    assertThat(buffer.deferred())
        .extracting(p -> p.sample().requestId(), p -> p.deferral())
        .containsExactly(tuple("r1", deferral));
    assertThat(buffer.waiting("r1")).isEqualTo(prediction("r1", T0));
  }
}
