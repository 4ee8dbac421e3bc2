package io.hindsight.compensation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.hindsight.HindsightService;
import io.hindsight.config.HindsightConfig;
import io.hindsight.errors.DeadLetterHandler;
import io.hindsight.testing.KafkaBroker;
import io.hindsight.testing.TestServices;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A service that starts on a backlog (after an outage, or behind after a stall) catches up without
 * dead-lettering good outcomes: with a production-sized attribution window, the outcomes of a
 * minute of traffic are attached although both topics are read long after their windows closed in
 * wall time.
 */
class CatchUpIT {
  @RegisterExtension static final KafkaBroker kafka = new KafkaBroker();

  private static final int PREDICTIONS = 60_000;
  private static final int PARTITIONS = 4;
  private static final long WINDOW_MS = 6_000;

  @RegisterExtension final TestServices services = new TestServices(kafka);

  @Test
  void shouldAttachEveryOutcomeOfABacklog() throws Exception {
    HindsightConfig config =
        services.config(
            "catch-up-it",
            Map.of(
                HindsightConfig.TOPIC_PARTITIONS,
                Integer.toString(PARTITIONS),
                HindsightConfig.PROCESSING_GUARANTEE,
                HindsightConfig.EXACTLY_ONCE_V2,
                HindsightConfig.COMPENSATION_ATTRIBUTION_WINDOW_MS,
                Long.toString(WINDOW_MS)));
    HindsightService service =
        services.start(config, (c, registry) -> List.of(new CompensationApp(c, registry)));
    // A minute of event time at 1,000 predictions/s, outcomes 1 ms to 5 s after their predictions.
    CompensationWorkload workload =
        new CompensationWorkload(
            service.topics(), PREDICTIONS, new int[] {16, 32}, System.currentTimeMillis(), 1, 7);
    TestTopics.produce(kafka.bootstrapServers(), workload.records(0, PREDICTIONS));
    TestTopics.produce(
        kafka.bootstrapServers(), workload.streamTimeAdvance(PARTITIONS, 3 * WINDOW_MS));

    CompensationApp app = (CompensationApp) service.apps().get(0);
    await("every window closed and its sample written")
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> app.memory().map(ErrorMemoryStore::samples).orElse(0L) >= PREDICTIONS);
    List<ConsumerRecord<byte[], byte[]>> deadLetters =
        TestTopics.readCommitted(
            kafka.bootstrapServers(), service.topics().deadLetters().name(), 0, Duration.ZERO);
    assertThat(
            deadLetters.stream()
                .collect(
                    Collectors.groupingBy(
                        r ->
                            new String(
                                r.headers().lastHeader(DeadLetterHandler.REASON).value(),
                                StandardCharsets.UTF_8),
                        Collectors.counting())))
        .as("dead letters by reason")
        .isEmpty();
  }
}
