package io.hindsight.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EventCodecTest {
  private static final long NOW = 1_700_000_000_000L;
  private final EventCodec codec = new EventCodec(1024, 60_000, () -> NOW);

  @Test
  void shouldReadAValidPrediction() {
    Prediction p =
        codec.prediction(
            bytes(
                "{\"requestId\":\"r1\",\"modelId\":\"m\",\"modelVersion\":\"v1\",\"timestamp\":"
                    + NOW
                    + ",\"score\":0.3,\"embedding\":[0.5,-1],\"userId\":\"u\",\"itemId\":7}"));
    assertThat(p.requestId()).isEqualTo("r1");
    assertThat(p.embedding()).containsExactly(0.5f, -1f);
    assertThat(p.itemId()).isEqualTo("7");
  }

  @Test
  void shouldRejectEachKindOfBadPredictionWithItsOwnReason() {
    assertReason("{\"requestId\":", RejectionReason.MALFORMED_JSON);
    assertReason(prediction("\"score\":NaN"), RejectionReason.NOT_FINITE);
    assertReason(prediction("\"score\":1.5"), RejectionReason.SCORE_OUT_OF_RANGE);
    assertReason(prediction("\"score\":\"high\""), RejectionReason.WRONG_TYPE);
    assertReason(
        prediction("\"score\":0.5").replace("\"requestId\":\"r1\",", ""),
        RejectionReason.MISSING_FIELD);
    assertReason(
        prediction("\"score\":0.5").replace("\"timestamp\":" + NOW, "\"timestamp\":-1"),
        RejectionReason.TIMESTAMP_NEGATIVE);
    assertReason(
        prediction("\"score\":0.5")
            .replace("\"timestamp\":" + NOW, "\"timestamp\":" + (NOW + 3_600_000)),
        RejectionReason.TIMESTAMP_IN_FUTURE);
    assertReason("{\"pad\":\"" + "x".repeat(2000) + "\"}", RejectionReason.RECORD_TOO_LARGE);
  }

  @Test
  void shouldReadThePredictionFieldsInAnyOrder() {
    Prediction p =
        codec.prediction(
            bytes(
                "{\"itemId\":\"i\",\"embedding\":[1,2,3],\"score\":1,\"timestamp\":"
                    + NOW
                    + ",\"userId\":\"u\",\"modelVersion\":\"v1\",\"modelId\":\"m\","
                    + "\"requestId\":\"r1\"}"));
    assertThat(p.embedding()).containsExactly(1f, 2f, 3f);
    assertThat(p.score()).isEqualTo(1.0);
    assertThat(p.userId()).isEqualTo("u");
  }

  @Test
  void shouldReadBackEveryPredictionFieldItWrites() {
    float[] embedding = new float[100];
    for (int i = 0; i < embedding.length; i++) {
      embedding[i] = (float) Math.sin(i) * 1e-3f;
    }
    Prediction written =
        new Prediction("r1", "m", "v1", NOW, 0.25, embedding, Map.of("k", "x"), "u", "i");
    EventCodec roomy = new EventCodec(1 << 16, 60_000, () -> NOW);
    Prediction read = roomy.prediction(EventCodec.encode(written));
    assertThat(read).usingRecursiveComparison().isEqualTo(written);
  }

  @Test
  void shouldRejectAnEmbeddingThatIsNotANonEmptyArrayOfFiniteNumbers() {
    assertReason(withEmbedding("{}"), RejectionReason.WRONG_TYPE);
    assertReason(withEmbedding("{\"a\":[1]}"), RejectionReason.WRONG_TYPE);
    assertReason(withEmbedding("\"1,2\""), RejectionReason.WRONG_TYPE);
    assertReason(withEmbedding("3"), RejectionReason.WRONG_TYPE);
    assertReason(withEmbedding("[]"), RejectionReason.WRONG_TYPE);
    assertReason(withEmbedding("[1,\"2\"]"), RejectionReason.WRONG_TYPE);
    assertReason(withEmbedding("[1,null]"), RejectionReason.WRONG_TYPE);
    assertReason(withEmbedding("[1,[2]]"), RejectionReason.WRONG_TYPE);
    assertReason(withEmbedding("[1,{\"x\":2}]"), RejectionReason.WRONG_TYPE);
    assertReason(withEmbedding("[1,NaN]"), RejectionReason.NOT_FINITE);
    assertReason(withEmbedding("[-Infinity]"), RejectionReason.NOT_FINITE);
    assertReason(withEmbedding("[1e300]"), RejectionReason.NOT_FINITE);
  }

  @Test
  void shouldRejectAnEmbeddingByItsFirstBadComponent() {
    assertReason(withEmbedding("[NaN,\"a\"]"), RejectionReason.NOT_FINITE);
    assertReason(withEmbedding("[[1],NaN]"), RejectionReason.WRONG_TYPE);
  }

  @Test
  void shouldRejectABadEmbeddingBeforeAnyOtherBadField() {
    assertReason(prediction("\"score\":7").replace("[1,2]", "[1,NaN]"), RejectionReason.NOT_FINITE);
  }

  @Test
  void shouldReportMalformedJsonBeforeAnInvalidEmbedding() {
    assertReason("{\"embedding\":\"x\",\"score\":", RejectionReason.MALFORMED_JSON);
    assertReason("{\"embedding\":[NaN,{]}", RejectionReason.MALFORMED_JSON);
    assertReason("{\"embedding\":[1,2", RejectionReason.MALFORMED_JSON);
    assertReason("{\"embedding\":[1,2]", RejectionReason.MALFORMED_JSON);
  }

  @Test
  void shouldRejectARecordThatIsNotAJsonObject() {
    assertReason("", RejectionReason.MALFORMED_JSON);
    assertReason("null", RejectionReason.MALFORMED_JSON);
    assertReason("[1,2]", RejectionReason.MALFORMED_JSON);
    assertReason("[1,2", RejectionReason.MALFORMED_JSON);
    assertReason("\"text\"", RejectionReason.MALFORMED_JSON);
  }

  @Test
  void shouldTreatANullEmbeddingAsAbsent() {
    assertReason(withEmbedding("null"), RejectionReason.MISSING_FIELD);
    Prediction p =
        codec.prediction(bytes(withEmbedding("null").replace("}", ",\"features\":{\"a\":1}}")));
    assertThat(p.embedding()).isNull();
    assertThat(p.features()).containsEntry("a", 1.0);
  }

  @Test
  void shouldSkipUnknownFieldsWhateverTheyHold() {
    Prediction p =
        codec.prediction(
            bytes(
                prediction("\"score\":0.5")
                    .replace(
                        "{",
                        "{\"extra\":{\"embedding\":\"x\",\"score\":9,\"a\":[1,{\"b\":[]}]},"
                            + "\"more\":[[\"requestId\"],{}],\"flag\":true,")));
    assertThat(p.embedding()).containsExactly(1f, 2f);
    assertThat(p.score()).isEqualTo(0.5);
  }

  @Test
  void shouldKeepTheLastOfARepeatedField() {
    String twice = prediction("\"score\":0.5").replace("}", ",\"embedding\":[3]}");
    assertThat(codec.prediction(bytes(twice)).embedding()).containsExactly(3f);
    assertReason(
        prediction("\"score\":0.5").replace("}", ",\"embedding\":\"x\"}"),
        RejectionReason.WRONG_TYPE);
    String badThenGood = withEmbedding("[NaN]").replace("}", ",\"embedding\":[4,5]}");
    assertThat(codec.prediction(bytes(badThenGood)).embedding()).containsExactly(4f, 5f);
    String scoreTwice = prediction("\"score\":5").replace("}", ",\"score\":0.5}");
    assertThat(codec.prediction(bytes(scoreTwice)).score()).isEqualTo(0.5);
  }

  /**
   * The tree reader never looked past the first value; rejecting more now would change the
   * contract.
   */
  @Test
  void shouldIgnoreWhatFollowsThePredictionObject() {
    assertThat(codec.prediction(bytes(prediction("\"score\":0.5") + " ]junk")).score())
        .isEqualTo(0.5);
  }

  @Test
  void shouldReadNonAsciiPredictionsThroughStrictUtf8() {
    Prediction p = codec.prediction(bytes(prediction("\"score\":0.5,\"userId\":\"Zoë\"")));
    assertThat(p.userId()).isEqualTo("Zoë");
  }

  @Test
  void shouldRejectInvalidUtf8() {
    byte[] bad = {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
    assertThatThrownBy(() -> codec.prediction(bad))
        .isInstanceOfSatisfying(
            InvalidEventException.class,
            e -> assertThat(e.reason()).isEqualTo(RejectionReason.INVALID_UTF8));
  }

  @Test
  void shouldRejectLabelsOutsideTheUnitInterval() {
    assertThatThrownBy(
            () -> codec.outcome(bytes("{\"requestId\":\"r\",\"timestamp\":1,\"label\":2.0}")))
        .isInstanceOfSatisfying(
            InvalidEventException.class,
            e -> assertThat(e.reason()).isEqualTo(RejectionReason.LABEL_OUT_OF_RANGE));
  }

  @Test
  void shouldRejectUnknownSignalsAndReadTreatments() {
    assertThatThrownBy(
            () ->
                codec.interaction(
                    bytes(
                        "{\"userId\":\"u\",\"timestamp\":1,\"utterance\":\"hi\",\"signal\":\"meh\"}")))
        .isInstanceOfSatisfying(
            InvalidEventException.class,
            e -> assertThat(e.reason()).isEqualTo(RejectionReason.UNKNOWN_SIGNAL));
    Interaction turn =
        codec.interaction(
            bytes(
                "{\"userId\":\"u\",\"timestamp\":1,\"utterance\":\"play jazz\",\"signal\":\"barge-in\","
                    + "\"rewrite\":{\"source\":\"a\",\"target\":\"b\",\"version\":3}}"));
    assertThat(turn.signal()).isEqualTo(Signal.BARGE_IN);
    assertThat(turn.rewrite()).isEqualTo(new AppliedRewrite("a", "b", 3));
  }

  @Test
  void shouldWriteCompensationsAsJson() {
    String json =
        new String(
            EventCodec.encode(new Compensation("r", "m", "v", 5, 0.2, 0.3, 0.1, 4)),
            StandardCharsets.UTF_8);
    assertThat(json).contains("\"compensatedScore\":0.3").contains("\"evidence\":4");
  }

  private void assertReason(String json, RejectionReason reason) {
    assertThatThrownBy(() -> codec.prediction(bytes(json)))
        .as(json)
        .isInstanceOfSatisfying(
            InvalidEventException.class, e -> assertThat(e.reason()).isEqualTo(reason));
  }

  private static String prediction(String scoreField) {
    return "{\"requestId\":\"r1\",\"modelId\":\"m\",\"modelVersion\":\"v1\",\"timestamp\":"
        + NOW
        + ","
        + scoreField
        + ",\"embedding\":[1,2]}";
  }

  private static String withEmbedding(String embedding) {
    return prediction("\"score\":0.5").replace("[1,2]", embedding);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The one-pass reader against the tree reader it replaced ({@code
   * EventCodec.prediction(JsonNode)} over {@link EventCodec#parse}): on valid predictions and on
   * thousands of damaged copies (bytes deleted, duplicated or replaced by JSON punctuation), both
   * give the same prediction or the same rejection reason.
   */
  @Test
  void shouldReadPredictionsInOnePassAsTheTreeReaderDoes() {
    EventCodec roomy = new EventCodec(1 << 16, 60_000, () -> NOW);
    java.util.SplittableRandom random = new java.util.SplittableRandom(15);
    String[] seeds = {
      prediction("\"score\":0.5,\"userId\":\"u\",\"itemId\":7"),
      prediction("\"score\":1").replace("[1,2]", "[1e-3,-2.5E2,3,NaN]"),
      "{\"requestId\":1,\"modelId\":\"m\",\"modelVersion\":\"v\",\"timestamp\":"
          + NOW
          + ",\"score\":0,\"features\":{\"a\":1,\"b\":\"x\",\"c\":true,\"a\":2},"
          + "\"embedding\":null,\"extra\":[{\"k\":[1,2]}]}",
      prediction("\"score\":0.25").replace("}", ",\"embedding\":[[1],2],\"embedding\":[9]}"),
      prediction("\"score\":0.5,\"userId\":\"Zoë\",\"features\":{\"é\":\"ü\"}")
    };
    String punctuation = "{}[]\",:0-.eNull";
    int compared = 0;
    for (String seed : seeds) {
      for (int i = 0; i < 1500; i++) {
        StringBuilder damaged = new StringBuilder(seed);
        for (int edits = i == 0 ? 0 : 1 + random.nextInt(3); edits > 0; edits--) {
          int at = random.nextInt(damaged.length());
          switch (random.nextInt(3)) {
            case 0 -> damaged.deleteCharAt(at);
            case 1 -> damaged.insert(at, damaged.charAt(at));
            default ->
                damaged.setCharAt(at, punctuation.charAt(random.nextInt(punctuation.length())));
          }
        }
        byte[] bytes = bytes(damaged.toString());
        Object byTree = outcomeOf(() -> roomy.prediction(roomy.parse(bytes)));
        Object inOnePass = outcomeOf(() -> roomy.prediction(bytes));
        assertThat(inOnePass).as(damaged.toString()).isEqualTo(byTree);
        compared++;
      }
    }
    assertThat(compared).isEqualTo(seeds.length * 1500);
  }

  /** A prediction as a comparable list of its fields, or the reason it was rejected. */
  private static Object outcomeOf(java.util.function.Supplier<Prediction> read) {
    try {
      Prediction p = read.get();
      return java.util.Arrays.asList(
          p.requestId(),
          p.modelId(),
          p.modelVersion(),
          p.timestamp(),
          p.score(),
          p.embedding() == null ? null : java.util.Arrays.toString(p.embedding()),
          p.features() == null ? null : List.copyOf(p.features().entrySet()),
          p.userId(),
          p.itemId());
    } catch (InvalidEventException e) {
      return e.reason();
    }
  }
}
