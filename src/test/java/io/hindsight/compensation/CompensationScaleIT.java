package io.hindsight.compensation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.hindsight.HindsightService;
import io.hindsight.config.HindsightConfig;
import io.hindsight.testing.KafkaBroker;
import io.hindsight.testing.TestServices;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * 200k predictions through the compensation topology under exactly_once_v2 on a real broker: one
 * compensation per prediction, and once every window has closed, one sample per prediction in the
 * memory.
 */
class CompensationScaleIT {
  @RegisterExtension static final KafkaBroker kafka = new KafkaBroker();

  private static final int PREDICTIONS = 200_000;
  private static final int PARTITIONS = 4;
  private static final long WINDOW_MS = 600_000;

  @RegisterExtension final TestServices services = new TestServices(kafka);

  @Test
  void shouldPublishOneCompensationPerPredictionAndWriteEveryLabelledSampleOnce() throws Exception {
    HindsightConfig config =
        services.config(
            "scale-it",
            Map.of(
                HindsightConfig.TOPIC_PARTITIONS,
                Integer.toString(PARTITIONS),
                HindsightConfig.PROCESSING_GUARANTEE,
                HindsightConfig.EXACTLY_ONCE_V2,
                HindsightConfig.COMPENSATION_ATTRIBUTION_WINDOW_MS,
                Long.toString(WINDOW_MS)));
    HindsightService service =
        services.start(config, (c, registry) -> List.of(new CompensationApp(c, registry)));
    CompensationWorkload workload =
        new CompensationWorkload(
            service.topics(),
            PREDICTIONS,
            new int[] {16, 32, 64},
            System.currentTimeMillis() - Duration.ofDays(2).toMillis(),
            10,
            42);
    for (int from = 0; from < PREDICTIONS; from += 50_000) {
      TestTopics.produce(kafka.bootstrapServers(), workload.records(from, from + 50_000));
    }
    TestTopics.produce(
        kafka.bootstrapServers(), workload.streamTimeAdvance(PARTITIONS, 3 * WINDOW_MS));

    List<ConsumerRecord<byte[], byte[]>> compensations =
        TestTopics.readCommitted(
            kafka.bootstrapServers(),
            service.topics().compensations().name(),
            PREDICTIONS + PARTITIONS,
            Duration.ofMinutes(3));
    Set<String> requestIds = new HashSet<>();
    compensations.forEach(r -> requestIds.add(new String(r.key(), StandardCharsets.UTF_8)));
    assertThat(requestIds).as("one compensation per prediction").hasSize(PREDICTIONS + PARTITIONS);
    assertThat(compensations).as("no duplicates").hasSize(PREDICTIONS + PARTITIONS);

    CompensationApp app = (CompensationApp) service.apps().get(0);
    await("every window closed and its sample written")
        .atMost(Duration.ofMinutes(1))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> app.memory().map(ErrorMemoryStore::samples).orElse(0L) >= PREDICTIONS);
    ErrorMemoryStore memory = app.memory().orElseThrow();
    assertThat(memory.samples())
        .as("each prediction's sample written once, the stream-time advances still pending")
        .isEqualTo(PREDICTIONS);
    assertThat(memory.memories()).isEqualTo(3);
    assertThat(memory.skippedDuplicates()).isZero();
  }
}
