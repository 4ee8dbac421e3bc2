package io.hindsight.compensation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.hindsight.HindsightService;
import io.hindsight.config.HindsightConfig;
import io.hindsight.events.EventCodec;
import io.hindsight.testing.KafkaBroker;
import io.hindsight.testing.TestServices;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two instances of one application share the work of a 4-partition input; each keeps a full replica
 * of the error memory, so both answer every lookup, identically.
 */
class TwoInstanceCompensationIT {
  @RegisterExtension static final KafkaBroker kafka = new KafkaBroker();

  private static final int PREDICTIONS = 20_000;
  private static final int PARTITIONS = 4;
  private static final long WINDOW_MS = 60_000;

  @RegisterExtension final TestServices services = new TestServices(kafka);

  private HindsightService startInstance() throws Exception {
    HindsightConfig config =
        services.config(
            "two-it",
            Map.of(
                HindsightConfig.TOPIC_PARTITIONS,
                Integer.toString(PARTITIONS),
                HindsightConfig.HTTP_PORT,
                "0",
                HindsightConfig.COMPENSATION_ATTRIBUTION_WINDOW_MS,
                Long.toString(WINDOW_MS)));
    return services.start(config, (c, registry) -> List.of(new CompensationApp(c, registry)));
  }

  @Test
  void shouldAnswerLookupsIdenticallyFromTwoReplicasThatAreEqualBucketForBucket() throws Exception {
    HindsightService first = startInstance();
    HindsightService second = startInstance();
    await("both instances running with their share of the tasks")
        .atMost(Duration.ofMinutes(1))
        .until(() -> first.isReady() && second.isReady());

    CompensationWorkload workload =
        new CompensationWorkload(
            first.topics(),
            PREDICTIONS,
            new int[] {16, 48},
            System.currentTimeMillis() - Duration.ofDays(1).toMillis(),
            25,
            7);
    TestTopics.produce(kafka.bootstrapServers(), workload.records(0, PREDICTIONS));
    TestTopics.produce(
        kafka.bootstrapServers(), workload.streamTimeAdvance(PARTITIONS, 3 * WINDOW_MS));

    ErrorMemoryStore one = memory(first);
    ErrorMemoryStore two = memory(second);
    await("both replicas hold every sample")
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> one.samples() == PREDICTIONS && two.samples() == PREDICTIONS);
    assertThat(one.fingerprint()).isEqualTo(two.fingerprint());
    assertThat(one.sameContents(two)).as("replicas equal bucket for bucket").isTrue();

    HttpClient http = HttpClient.newHttpClient();
    int withEvidence = 0;
    for (int probe = 0; probe < 40; probe++) {
      String model = workload.modelOf(probe);
      String request = lookup(model, 0.05 + probe / 50.0, workload.probe(model, 1000 + probe));
      String fromFirst = post(http, first.httpPort(), request);
      String fromSecond = post(http, second.httpPort(), request);
      assertThat(fromSecond).as("probe %d", probe).isEqualTo(fromFirst);
      if (!EventCodec.JSON.readTree(fromFirst).get("evidence").asText().equals("0")) {
        withEvidence++;
      }
    }
    assertThat(withEvidence).as("lookups that found neighbours").isPositive();

    // A batch of one model version answers as its candidates do one by one.
    String model = workload.modelOf(0);
    List<Map<String, Object>> candidates = new ArrayList<>();
    List<JsonNode> singles = new ArrayList<>();
    for (int probe = 0; probe < 40; probe++) {
      if (workload.modelOf(probe).equals(model)) {
        float[] embedding = workload.probe(model, 1000 + probe);
        candidates.add(Map.of("score", 0.05 + probe / 50.0, "embedding", embedding));
        singles.add(
            EventCodec.JSON.readTree(
                post(http, second.httpPort(), lookup(model, 0.05 + probe / 50.0, embedding))));
      }
    }
    Map<String, Object> batch = new LinkedHashMap<>();
    batch.put("modelId", model);
    batch.put("modelVersion", "v1");
    batch.put("timestamp", 1_000L);
    batch.put("candidates", candidates);
    JsonNode results =
        EventCodec.JSON
            .readTree(post(http, first.httpPort(), EventCodec.JSON.writeValueAsString(batch)))
            .get("results");
    assertThat(results).hasSize(singles.size());
    for (int i = 0; i < singles.size(); i++) {
      for (String field : List.of("score", "compensatedScore", "delta", "evidence", "trust")) {
        assertThat(results.get(i).get(field))
            .as("candidate %d %s", i, field)
            .isEqualTo(singles.get(i).get(field));
      }
    }

    HttpResponse<String> malformed = send(http, first.httpPort(), "{\"modelId\": ");
    assertThat(malformed.statusCode()).isEqualTo(400);
    assertThat(malformed.body()).contains("\"reason\":\"malformed-json\"");
    HttpResponse<String> badScore =
        send(http, first.httpPort(), lookup("m0", 1.5, workload.probe("m0", 1)));
    assertThat(badScore.statusCode()).isEqualTo(400);
    assertThat(badScore.body()).contains("\"reason\":\"score-out-of-range\"");
  }

  private static ErrorMemoryStore memory(HindsightService service) {
    CompensationApp app = (CompensationApp) service.apps().get(0);
    await("memory replica open")
        .atMost(Duration.ofMinutes(1))
        .until(() -> app.memory().isPresent());
    return app.memory().orElseThrow();
  }

  private static String lookup(String model, double score, float[] embedding) throws Exception {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("modelId", model);
    body.put("modelVersion", "v1");
    body.put("timestamp", 1_000L);
    body.put("score", score);
    body.put("embedding", embedding);
    return EventCodec.JSON.writeValueAsString(body);
  }

  private static String post(HttpClient http, int port, String body) throws Exception {
    HttpResponse<String> response = send(http, port, body);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return response.body();
  }

  private static HttpResponse<String> send(HttpClient http, int port, String body)
      throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/compensate"))
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
