package io.hindsight.compensation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hindsight.config.HindsightConfig;
import io.hindsight.events.EventCodec;
import io.hindsight.events.InvalidEventException;
import io.hindsight.events.RejectionReason;
import io.hindsight.testing.Directories;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Lookups from a replica filled with labelled samples: a batch answers as its candidates do. */
class CompensationLookupTest {
  private static final long T0 = 1_600_000_000_000L;
  private static final int DIMENSION = 4;

  private Path directory;
  private ErrorMemoryStore store;
  private CompensationLookup lookup;
  private final SplittableRandom random = new SplittableRandom(11);

  @BeforeEach
  void fill() throws Exception {
    Map<String, String> values = new HashMap<>();
    values.put(HindsightConfig.BOOTSTRAP_SERVERS, "unused:9092");
    values.put(HindsightConfig.COMPENSATION_MEMORY_ARRAYS, "8");
    values.put(HindsightConfig.COMPENSATION_MEMORY_BITS, "3");
    values.put(HindsightConfig.COMPENSATION_FIELDS, "userId,itemId");
    CompensationSettings settings =
        CompensationSettings.from(HindsightConfig.load(null, Map.of(), values));
    directory = Files.createTempDirectory("hindsight-lookup");
    store = new ErrorMemoryStore(settings);
    store.open(directory.resolve(ErrorMemoryStore.NAME));
    for (int i = 0; i < 2_000; i++) {
      double score = 0.1 + 0.8 * random.nextDouble();
      double label = random.nextDouble() < score - 0.2 ? 1 : 0;
      Map<String, String> fields =
          Map.of("userId", "u" + random.nextInt(20), "itemId", "i" + random.nextInt(20));
      store.apply(
          0, i, new Sample("m", "v1", "r" + i, T0 + i, score, label, key(), fields, null, true));
    }
    lookup =
        new CompensationLookup(
            new EventCodec(1 << 20, 60_000, () -> T0 + 10_000),
            settings,
            () -> Optional.of(store),
            () -> T0 + 5_000);
  }

  @AfterEach
  void close() {
    store.close();
    Directories.delete(directory);
  }

  private float[] key() {
    float[] key = new float[DIMENSION];
    for (int k = 0; k < DIMENSION; k++) {
      key[k] = (float) random.nextGaussian();
    }
    return key;
  }

  private ObjectNode candidate(int i) {
    ObjectNode c = EventCodec.JSON.createObjectNode();
    c.put("score", 0.05 + i / 25.0);
    ArrayNode embedding = c.putArray("embedding");
    for (float x : key()) {
      embedding.add(x);
    }
    c.put("userId", "u" + (i % 20));
    c.put("itemId", "i" + (i % 7));
    return c;
  }

  private static ObjectNode batch(ObjectNode... candidates) {
    ObjectNode batch = EventCodec.JSON.createObjectNode();
    batch.put("modelId", "m");
    batch.put("modelVersion", "v1");
    batch.put("timestamp", T0 + 3_000);
    batch.putArray("candidates").addAll(java.util.List.of(candidates));
    return batch;
  }

  @Test
  void shouldAnswerTheWriteModeTheReplicaSawInUse() {
    assertThat(lookup.answer(batch(candidate(0))).get("writeMode").asText())
        .as("auto, before any sample came as a labelled-samples record")
        .isEqualTo("on-close");
    Sample sample =
        new Sample("m", "v1", "eager", T0 + 2_500, 0.5, 1.0, key(), Map.of(), null, true);
    // Effective at its outcome, a second after the prediction: written before its window closed.
    store.applyRecord(
        0, 10_000, "m".getBytes(StandardCharsets.UTF_8), sample.encode(), T0 + 3_500, false);
    assertThat(lookup.answer(batch(candidate(0))).get("writeMode").asText()).isEqualTo("eager");
  }

  @Test
  void shouldAnswerABatchAsItsCandidatesOneByOne() {
    ObjectNode[] candidates = new ObjectNode[20];
    for (int i = 0; i < candidates.length; i++) {
      candidates[i] = candidate(i);
    }
    JsonNode answer = lookup.answer(batch(candidates).deepCopy());
    assertThat(answer.get("modelId").asText()).isEqualTo("m");
    assertThat(answer.get("mode").asText()).isEqualTo("blend");
    JsonNode results = answer.get("results");
    assertThat(results).hasSize(candidates.length);
    int withEvidence = 0;
    for (int i = 0; i < candidates.length; i++) {
      ObjectNode single = candidates[i].deepCopy();
      single.put("modelId", "m");
      single.put("modelVersion", "v1");
      single.put("timestamp", T0 + 3_000);
      ObjectNode one = lookup.answer(single);
      assertThat(one.get("modelVersion").asText()).isEqualTo("v1");
      for (String field :
          new String[] {"score", "compensatedScore", "delta", "evidence", "trust"}) {
        assertThat(results.get(i).get(field))
            .as("candidate %d %s", i, field)
            .isEqualTo(one.get(field));
      }
      withEvidence += one.get("evidence").asInt() > 0 ? 1 : 0;
    }
    assertThat(withEvidence).as("candidates with neighbours").isPositive();
  }

  @Test
  void shouldNameTheCandidateAndTheFieldOfAnInvalidBatch() {
    ObjectNode bad = candidate(1);
    bad.put("score", 1.5);
    assertThatThrownBy(() -> lookup.answer(batch(candidate(0), bad)))
        .isInstanceOfSatisfying(
            InvalidEventException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(RejectionReason.SCORE_OUT_OF_RANGE);
              assertThat(e.detail()).startsWith("candidates[1]: score 1.5");
            });
    ObjectNode noModel = batch(candidate(0));
    noModel.remove("modelId");
    assertThatThrownBy(() -> lookup.answer(noModel))
        .isInstanceOfSatisfying(
            InvalidEventException.class, e -> assertThat(e.detail()).isEqualTo("modelId"));
    ObjectNode notAList = batch();
    notAList.put("candidates", "all of them");
    assertThatThrownBy(() -> lookup.answer(notAList))
        .isInstanceOfSatisfying(
            InvalidEventException.class,
            e -> assertThat(e.reason()).isEqualTo(RejectionReason.WRONG_TYPE));
  }

  @Test
  void shouldPassScoresThroughForAModelVersionWithoutMemory() {
    ObjectNode batch = batch(candidate(3));
    batch.put("modelVersion", "v9");
    JsonNode result = lookup.answer(batch).get("results").get(0);
    assertThat(result.get("compensatedScore")).isEqualTo(result.get("score"));
    assertThat(result.get("evidence").asInt()).isZero();
  }

  /**
   * Bodies as the HTTP route gets them, with the rejection the tree-based reading gave (recorded
   * from it before the streaming reader replaced it): the same reason and the same words.
   */
  @Test
  void shouldRejectABadBodyAsTheTreeReadingDid() {
    String ok = "\"score\":0.4,\"embedding\":[0.1,0.2]";
    String[][] cases = {
      {"", "MALFORMED_JSON", "not a JSON object"},
      {"[1,2]", "MALFORMED_JSON", "not a JSON object"},
      {"{\"modelId\": ", "MALFORMED_JSON", "Unexpected end-of-input within/between Object entries"},
      {"{\"candidates\":[{" + ok + "},{\"x\": ]}", "MALFORMED_JSON", "Unexpected character"},
      {
        "{\"modelId\":\"m\",\"modelVersion\":\"v\",\"candidates\":null}",
        "WRONG_TYPE",
        "candidates must be an array"
      },
      {"{\"modelVersion\":\"v\",\"candidates\":[]}", "MISSING_FIELD", "modelId"},
      {
        "{\"modelId\":1,\"modelVersion\":\"v\",\"candidates\":[]}",
        "WRONG_TYPE",
        "modelId must be a non-empty string"
      },
      {
        "{\"modelId\":\"m\",\"modelVersion\":\" \",\"candidates\":[]}",
        "WRONG_TYPE",
        "modelVersion must be a non-empty string"
      },
      {
        "{\"modelId\":\"m\",\"modelVersion\":\"v\",\"candidates\":[{" + ok + "},7]}",
        "WRONG_TYPE",
        "candidates[1] must be an object"
      },
      {
        "{\"modelId\":\"m\",\"modelVersion\":\"v\",\"candidates\":[{\"score\":2,"
            + ok.substring(12)
            + "},7]}",
        "SCORE_OUT_OF_RANGE",
        "candidates[0]: score 2.0 not in [0,1]"
      },
      {
        "{\"modelId\":\"m\",\"modelVersion\":\"v\",\"timestamp\":null,\"candidates\":[{"
            + ok
            + "}]}",
        "MISSING_FIELD",
        "candidates[0]: timestamp"
      },
      {
        "{\"modelId\":\"m\",\"modelVersion\":\"v\",\"candidates\":[{"
            + ok
            + ",\"requestId\":null}]}",
        "MISSING_FIELD",
        "candidates[0]: requestId"
      },
      {
        "{\"modelId\":\"m\",\"modelVersion\":\"v\",\"candidates\":[{\"score\":0.5,"
            + "\"features\":{\"a\":[1],\"b\":NaN}}]}",
        "WRONG_TYPE",
        "candidates[0]: features.a must be a string or number"
      },
      {
        "{\"modelId\":\"m\",\"modelVersion\":\"v\"," + ok + ",\"timestamp\":5,\"timestamp\":null}",
        "MISSING_FIELD",
        "timestamp"
      },
      {
        "{\"modelId\":2.5,\"modelVersion\":\"v\"," + ok + "}",
        "WRONG_TYPE",
        "modelId must be a string"
      },
      {
        "{\"modelId\":\"m\",\"modelVersion\":\"v\",\"score\":0.5,\"embedding\":[1, Infinity]}",
        "NOT_FINITE",
        "embedding[1] is Infinity"
      },
    };
    for (String[] c : cases) {
      assertThatThrownBy(() -> lookup.answer(c[0].getBytes(StandardCharsets.UTF_8)))
          .as(c[0])
          .isInstanceOfSatisfying(
              InvalidEventException.class,
              e -> {
                assertThat(e.reason()).isEqualTo(RejectionReason.valueOf(c[1]));
                assertThat(e.detail()).startsWith(c[2]);
              });
    }
  }

  @Test
  void shouldDefaultTheTimeAndTheRequestIdOfALookupThatHasNone() throws Exception {
    JsonNode answer =
        EventCodec.JSON.readTree(
            lookup.answer(
                "{\"modelId\":\"m\",\"modelVersion\":\"v1\",\"candidates\":[{\"score\":0.5,\"embedding\":[1,2,3,4]}]}"
                    .getBytes(StandardCharsets.UTF_8)));
    assertThat(answer.get("results").get(0).get("score").asDouble()).isEqualTo(0.5);
  }
}
