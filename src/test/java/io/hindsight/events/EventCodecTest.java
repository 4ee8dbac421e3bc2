package io.hindsight.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
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

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
