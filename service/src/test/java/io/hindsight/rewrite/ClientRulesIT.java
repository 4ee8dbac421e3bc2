package io.hindsight.rewrite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.hindsight.HindsightService;
import io.hindsight.client.HindsightClient;
import io.hindsight.config.HindsightConfig;
import io.hindsight.markov.RewriteRule;
import io.hindsight.testing.KafkaBroker;
import io.hindsight.testing.TestServices;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The embeddable client replicates the reformulations log into the same chain replica as the
 * service's rewrite app: once both have applied the log, they hold the same live rules.
 */
class ClientRulesIT {
  private static final long T0 = 1_700_000_000_000L;

  @RegisterExtension static final KafkaBroker kafka = new KafkaBroker();
  @RegisterExtension final TestServices services = new TestServices(kafka);

  @Test
  void shouldHoldTheServicesLiveRulesOnceCaughtUp() throws Exception {
    Map<String, String> rewrite =
        Map.of(
            HindsightConfig.REWRITE_MIN_SOURCE_USERS, "3",
            HindsightConfig.REWRITE_MIN_TRANSITION_USERS, "3");
    HindsightConfig config = services.config("client-rules", rewrite);
    HindsightService service = services.start(config, (c, r) -> List.of(new RewriteApp(c)));
    RewriteApp app = (RewriteApp) service.apps().get(0);
    HindsightClient client =
        HindsightClient.builder()
            .bootstrapServers(kafka.bootstrapServers())
            .config(Map.of(HindsightConfig.TOPIC_PREFIX, config.topicPrefix()))
            .config(rewrite)
            .start();
    try (client) {
      assertThat(client.awaitReady(Duration.ofSeconds(60))).as("ready on an empty log").isTrue();

      // Misheard utterances that users rephrase into the intended one, or give up on.
      SplittableRandom random = new SplittableRandom(7);
      List<String> utterances = new ArrayList<>();
      List<ProducerRecord<byte[], byte[]>> log = new ArrayList<>();
      String topic = config.topicPrefix() + "reformulations";
      for (int i = 0; i < 1_500; i++) {
        int pair = random.nextInt(30);
        String misheard = "play misheard song " + pair;
        String intended = "play intended song " + pair;
        utterances.add(misheard);
        long t = T0 + i * 20_000L;
        Reformulation entry =
            random.nextInt(4) == 0
                ? Reformulation.chain("u" + random.nextInt(500), t, List.of(misheard), false)
                : Reformulation.chain(
                    "u" + random.nextInt(500), t, List.of(misheard, intended), pair % 5 != 0);
        log.add(
            new ProducerRecord<>(
                topic, 0, t, "log".getBytes(StandardCharsets.UTF_8), entry.encode()));
      }
      kafka.produce(topic, log);

      await("the service's replica applies the log")
          .atMost(Duration.ofSeconds(120))
          .until(() -> app.replica().map(r -> r.chains() == log.size()).orElse(false));
      await("the client applies the log")
          .atMost(Duration.ofSeconds(120))
          .until(
              () ->
                  client.positions().values().stream().mapToLong(Long::longValue).sum()
                      == log.size());
      RewriteReplica replica = app.replica().orElseThrow();
      assertThat(replica.liveRules()).as("rules decided from the log").isNotEmpty();
      List<Optional<RewriteRule>> served = client.rewrite(utterances);
      for (int i = 0; i < utterances.size(); i++) {
        assertThat(served.get(i)).isEqualTo(replica.rule(utterances.get(i)));
        assertThat(client.rewrite(utterances.get(i))).isEqualTo(served.get(i));
      }
      assertThat(client.rewrite("never said")).isEmpty();
      assertThat(client.lag()).isZero();
    }
  }
}
