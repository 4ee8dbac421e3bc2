package io.hindsight.rewrite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.hindsight.HindsightService;
import io.hindsight.cli.Apps;
import io.hindsight.config.HindsightConfig;
import io.hindsight.events.EventCodec;
import io.hindsight.events.Interaction;
import io.hindsight.markov.RewriteRule;
import io.hindsight.testing.KafkaBroker;
import io.hindsight.testing.TestServices;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two instances share the interactions' partitions: both replicas hold the same rules, and the rule
 * table on the compacted topic equals what one replica computes alone from the same log.
 */
class TwoInstanceRewriteIT {
  @RegisterExtension static final KafkaBroker kafka = new KafkaBroker();
  private static final String PREFIX = "rw2.";
  @RegisterExtension final TestServices services = new TestServices(kafka);
  private final List<HindsightService> started = new ArrayList<>();

  private HindsightService start() throws Exception {
    HindsightConfig config =
        services.config(
            "rw2",
            Map.of(
                HindsightConfig.VALIDATION_MAX_FUTURE_SKEW_MS, Long.toString(Long.MAX_VALUE / 4)));
    HindsightService service =
        services.start(config, (c, r) -> Apps.create(c, r, Apps.Selection.rewrites));
    started.add(service);
    return service;
  }

  @Test
  void shouldConvergeToTheSingleInstanceRuleTable() throws Exception {
    HindsightService first = start();
    HindsightService second = start();
    await("both instances running")
        .atMost(Duration.ofSeconds(90))
        .until(() -> first.isReady() && second.isReady());

    String[][] pairs = {
      {"play maj and dragons", "play imagine dragons"},
      {"whats the wether in boston", "whats the weather in boston"},
      {"add this song to my play list", "add this song to my playlist"},
    };
    long t = 1_600_000_000_000L;
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    for (int user = 0; user < 60; user++) {
      String[] pair = pairs[user % pairs.length];
      String id = "user-" + user;
      records.add(turn(id, t, pair[0]));
      records.add(turn(id, t + 4_000, pair[1]));
      records.add(turn(id, t + 200_000, "what time is it"));
      t += 30_000;
    }
    kafka.produce(PREFIX + "interactions", records);

    // Rules are decided when the log's event time crosses a solver boundary, so a partition whose
    // sessions close late waits for the next crossing. Live traffic keeps providing crossings; here
    // an hour of quiet traffic per poll does, until every partition's chains are in.
    AtomicLong hour = new AtomicLong(t);
    List<RewriteReplica> replicas =
        started.stream().map(s -> ((RewriteApp) s.apps().get(0)).replica().orElseThrow()).toList();
    await("both replicas learned the rules")
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofSeconds(2))
        .untilAsserted(
            () -> {
              kafka.produce(PREFIX + "interactions", quietHour(hour.addAndGet(3_600_000)));
              assertThat(replicas)
                  .as("live rules per replica")
                  .allSatisfy(r -> assertThat(r.liveRules()).hasSize(pairs.length));
            });
    Map<String, String> firstRules = table(replicas.get(0).liveRules());
    assertThat(table(replicas.get(1).liveRules())).isEqualTo(firstRules);

    // One replica alone over the same totally ordered log computes the same table.
    List<ConsumerRecord<byte[], byte[]>> log =
        kafka.consume(
            PREFIX + "reformulations",
            (int) replicas.get(0).chains() + (int) replicas.get(0).treatments(),
            Duration.ofSeconds(30));
    RewriteReplica alone = new RewriteReplica(RewriteLoopSettings.from(started.get(0).config()));
    alone.open();
    log.forEach(record -> alone.apply(Reformulation.decode(record.value())));
    assertThat(table(alone.liveRules())).isEqualTo(firstRules);

    Map<String, String> published = new HashMap<>();
    await("rules published once to the compacted topic")
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> {
              published.clear();
              for (ConsumerRecord<byte[], byte[]> r :
                  kafka.consume(PREFIX + "rewrites", 1_000, Duration.ofSeconds(3))) {
                String source = new String(r.key(), StandardCharsets.UTF_8);
                published.put(
                    source,
                    r.value() == null
                        ? null
                        : EventCodec.JSON.readTree(r.value()).path("target").asText());
              }
              return new TreeMap<>(published).equals(firstRules);
            });
    for (String[] pair : pairs) {
      assertThat(firstRules).containsEntry(pair[0], pair[1]);
    }

    // Over HTTP, from either instance: a batch answers as its utterances do one by one.
    HttpClient http = HttpClient.newHttpClient();
    List<String> utterances = new ArrayList<>();
    for (String[] pair : pairs) {
      utterances.add(pair[0].toUpperCase() + "!");
    }
    utterances.add("what time is it");
    for (HindsightService service : started) {
      String base = "http://127.0.0.1:" + service.httpPort() + "/rewrite";
      JsonNode batch =
          EventCodec.JSON.readTree(
              http.send(
                      HttpRequest.newBuilder(URI.create(base))
                          .header("Content-Type", "application/json")
                          .POST(
                              HttpRequest.BodyPublishers.ofString(
                                  EventCodec.JSON.writeValueAsString(
                                      Map.of("utterances", utterances))))
                          .build(),
                      HttpResponse.BodyHandlers.ofString())
                  .body());
      for (int i = 0; i < utterances.size(); i++) {
        HttpResponse<String> one =
            http.send(
                HttpRequest.newBuilder(
                        URI.create(
                            base
                                + "?utterance="
                                + URLEncoder.encode(utterances.get(i), StandardCharsets.UTF_8)))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(one.statusCode()).isEqualTo(i < pairs.length ? 200 : 404);
        assertThat(batch.get("results").get(i)).isEqualTo(EventCodec.JSON.readTree(one.body()));
        if (i < pairs.length) {
          assertThat(batch.get("results").get(i).get("target").asText()).isEqualTo(pairs[i][1]);
        }
      }
    }
  }

  private static Map<String, String> table(List<RewriteRule> rules) {
    Map<String, String> table = new TreeMap<>();
    rules.forEach(r -> table.put(r.source(), r.target()));
    return table;
  }

  /** One turn per user for 64 users that do nothing but ask the time. */
  private static List<ProducerRecord<byte[], byte[]>> quietHour(long t) {
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    for (int user = 0; user < 64; user++) {
      records.add(turn("flush-" + user, t + user, "what time is it"));
    }
    return records;
  }

  private static ProducerRecord<byte[], byte[]> turn(String user, long t, String utterance) {
    return new ProducerRecord<>(
        PREFIX + "interactions",
        user.getBytes(StandardCharsets.UTF_8),
        EventCodec.encode(new Interaction(user, t, utterance, null, null, null, null)));
  }
}
