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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Large backlogs through the compensation topology under exactly_once_v2 on a real broker: 100k
 * predictions give one compensation each and, once every window has closed, one sample each in the
 * memory; a minute of traffic read long after its windows closed in wall time loses no outcome.
 */
class CompensationScaleIT {
  @RegisterExtension static final KafkaBroker kafka = new KafkaBroker();

  private static final int PREDICTIONS = 100_000;
  private static final int PARTITIONS = 4;

  @RegisterExtension final TestServices services = new TestServices(kafka);

  @Test
  void shouldPublishOneCompensationPerPredictionAndWriteEveryLabelledSampleOnce() throws Exception {
    long windowMs = 600_000;
    HindsightService service = start("scale-it", windowMs);
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
        kafka.bootstrapServers(), workload.streamTimeAdvance(PARTITIONS, 3 * windowMs));

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

    ErrorMemoryStore memory = awaitSamples(service, PREDICTIONS);
    assertThat(memory.samples())
        .as("each prediction's sample written once, the stream-time advances still pending")
        .isEqualTo(PREDICTIONS);
    assertThat(memory.memories()).isEqualTo(3);
    assertThat(memory.skippedDuplicates()).isZero();
  }

  /**
   * A service that starts on a backlog (after an outage, or behind after a stall) reads both topics
   * long after their windows closed in wall time; even with a window of seconds it must attach
   * every outcome rather than dead-letter it as late or orphaned.
   */
  @Test
  void shouldAttachEveryOutcomeOfABacklogWithAShortWindow() throws Exception {
    long windowMs = 6_000;
    int predictions = 60_000;
    HindsightService service = start("catch-up-it", windowMs);
    // A minute of event time at 1,000 predictions/s, outcomes 1 ms to 5 s after their predictions.
    CompensationWorkload workload =
        new CompensationWorkload(
            service.topics(), predictions, new int[] {16, 32}, System.currentTimeMillis(), 1, 7);
    TestTopics.produce(kafka.bootstrapServers(), workload.records(0, predictions));
    TestTopics.produce(
        kafka.bootstrapServers(), workload.streamTimeAdvance(PARTITIONS, 3 * windowMs));

    awaitSamples(service, predictions);
    Map<String, Long> deadLetters =
        TestTopics.readCommitted(
                kafka.bootstrapServers(), service.topics().deadLetters().name(), 0, Duration.ZERO)
            .stream()
            .collect(
                Collectors.groupingBy(
                    r ->
                        new String(
                            r.headers().lastHeader(DeadLetterHandler.REASON).value(),
                            StandardCharsets.UTF_8),
                    Collectors.counting()));
    assertThat(deadLetters).as("dead letters by reason").isEmpty();
  }

  private HindsightService start(String name, long windowMs) throws Exception {
    HindsightConfig config =
        services.config(
            name,
            Map.of(
                HindsightConfig.TOPIC_PARTITIONS,
                Integer.toString(PARTITIONS),
                HindsightConfig.PROCESSING_GUARANTEE,
                HindsightConfig.EXACTLY_ONCE_V2,
                HindsightConfig.COMPENSATION_ATTRIBUTION_WINDOW_MS,
                Long.toString(windowMs)));
    return services.start(config, (c, registry) -> List.of(new CompensationApp(c, registry)));
  }

  private static ErrorMemoryStore awaitSamples(HindsightService service, long samples) {
    CompensationApp app = (CompensationApp) service.apps().get(0);
    await("every window closed and its sample written")
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> app.memory().map(ErrorMemoryStore::samples).orElse(0L) >= samples);
    return app.memory().orElseThrow();
  }
}
