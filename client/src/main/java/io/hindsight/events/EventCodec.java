package io.hindsight.events;

import static io.hindsight.events.RejectionReason.EMPTY_UTTERANCE;
import static io.hindsight.events.RejectionReason.INVALID_UTF8;
import static io.hindsight.events.RejectionReason.LABEL_OUT_OF_RANGE;
import static io.hindsight.events.RejectionReason.MALFORMED_JSON;
import static io.hindsight.events.RejectionReason.MISSING_FIELD;
import static io.hindsight.events.RejectionReason.NOT_FINITE;
import static io.hindsight.events.RejectionReason.RECORD_TOO_LARGE;
import static io.hindsight.events.RejectionReason.SCORE_OUT_OF_RANGE;
import static io.hindsight.events.RejectionReason.TIMESTAMP_IN_FUTURE;
import static io.hindsight.events.RejectionReason.TIMESTAMP_NEGATIVE;
import static io.hindsight.events.RejectionReason.UNKNOWN_SIGNAL;
import static io.hindsight.events.RejectionReason.WRONG_TYPE;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Reads and writes the JSON events of the public contract. Every rejection is an {@link
 * InvalidEventException} with its own {@link RejectionReason}. Thread-safe.
 */
public final class EventCodec {

  /**
   * Non-numeric numbers are accepted by the parser so that NaN is rejected by name. Numbers are
   * parsed with Jackson's fast (and still correctly rounded) double parser: an embedding is dozens
   * of them per record.
   */
  public static final ObjectMapper JSON =
      JsonMapper.builder()
          .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
          .enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .build();

  private final int maxRecordBytes;
  private final long maxFutureSkewMs;
  private final LongSupplier wallClock;

  public EventCodec(int maxRecordBytes, long maxFutureSkewMs, LongSupplier wallClock) {
    this.maxRecordBytes = maxRecordBytes;
    this.maxFutureSkewMs = maxFutureSkewMs;
    this.wallClock = wallClock;
  }

  public Prediction prediction(byte[] bytes) {
    return prediction(parse(bytes));
  }

  /** Validates a prediction already parsed (a lookup's candidate, say) as one read from bytes. */
  public Prediction prediction(JsonNode node) {
    float[] embedding = optionalVector(node, "embedding");
    Map<String, Object> features = optionalFeatures(node, "features");
    if (embedding == null && features == null) {
      throw new InvalidEventException(MISSING_FIELD, "embedding or features");
    }
    double score = number(node, "score");
    if (score < 0 || score > 1) {
      throw new InvalidEventException(SCORE_OUT_OF_RANGE, "score " + score + " not in [0,1]");
    }
    return new Prediction(
        id(node, "requestId"),
        id(node, "modelId"),
        id(node, "modelVersion"),
        timestamp(node),
        score,
        embedding,
        features,
        optionalText(node, "userId"),
        optionalText(node, "itemId"));
  }

  public Outcome outcome(byte[] bytes) {
    JsonNode node = parse(bytes);
    double label = number(node, "label");
    if (label < 0 || label > 1) {
      throw new InvalidEventException(LABEL_OUT_OF_RANGE, "label " + label + " not in [0,1]");
    }
    return new Outcome(id(node, "requestId"), timestamp(node), label);
  }

  public Interaction interaction(byte[] bytes) {
    JsonNode node = parse(bytes);
    String utterance = optionalText(node, "utterance");
    if (utterance == null) {
      throw new InvalidEventException(MISSING_FIELD, "utterance");
    }
    if (utterance.isBlank()) {
      throw new InvalidEventException(EMPTY_UTTERANCE, "utterance is blank");
    }
    Signal signal = null;
    String signalName = optionalText(node, "signal");
    if (signalName != null) {
      signal =
          Signal.fromWireName(signalName)
              .orElseThrow(
                  () -> new InvalidEventException(UNKNOWN_SIGNAL, "signal '" + signalName + "'"));
    }
    AppliedRewrite rewrite = null;
    JsonNode rewriteNode = node.get("rewrite");
    if (rewriteNode != null && !rewriteNode.isNull()) {
      if (!rewriteNode.isObject()) {
        throw new InvalidEventException(WRONG_TYPE, "rewrite must be an object");
      }
      JsonNode version = rewriteNode.get("version");
      rewrite =
          new AppliedRewrite(
              id(rewriteNode, "source"),
              id(rewriteNode, "target"),
              version != null && version.canConvertToLong() ? version.asLong() : 0L);
    }
    return new Interaction(
        id(node, "userId"),
        timestamp(node),
        utterance,
        optionalText(node, "sessionId"),
        optionalText(node, "interpretation"),
        signal,
        rewrite);
  }

  /** Serializes any event record as JSON. */
  public static byte[] encode(Object event) {
    try {
      return JSON.writeValueAsBytes(event);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("Cannot serialize " + event, e);
    }
  }

  /** Size, UTF-8 and JSON checks shared by every event type. */
  public JsonNode parse(byte[] bytes) {
    if (bytes == null) {
      throw new InvalidEventException(MISSING_FIELD, "record has no value");
    }
    if (bytes.length > maxRecordBytes) {
      throw new InvalidEventException(
          RECORD_TOO_LARGE, bytes.length + " bytes > " + maxRecordBytes);
    }
    return parseObject(bytes);
  }

  /** The UTF-8 and JSON checks of {@link #parse}, without its size bound: the caller has one. */
  public static JsonNode parseObject(byte[] bytes) {
    JsonNode node;
    try {
      // Pure ASCII is valid UTF-8 and cannot start with a byte-order mark: parse the bytes as they
      // are. Anything else is decoded strictly first, so malformed UTF-8 is rejected by name.
      node = isAscii(bytes) ? JSON.readTree(bytes) : JSON.readTree(strictUtf8(bytes));
    } catch (JsonProcessingException e) {
      throw new InvalidEventException(MALFORMED_JSON, e.getOriginalMessage());
    } catch (java.io.IOException e) {
      throw new InvalidEventException(MALFORMED_JSON, e.getMessage());
    }
    if (node == null || !node.isObject()) {
      throw new InvalidEventException(MALFORMED_JSON, "not a JSON object");
    }
    return node;
  }

  private static boolean isAscii(byte[] bytes) {
    for (byte b : bytes) {
      if (b < 0) {
        return false;
      }
    }
    return true;
  }

  private static String strictUtf8(byte[] bytes) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new InvalidEventException(INVALID_UTF8, e.toString());
    }
  }

  private long timestamp(JsonNode node) {
    JsonNode field = node.get("timestamp");
    if (field == null || field.isNull()) {
      throw new InvalidEventException(MISSING_FIELD, "timestamp");
    }
    if (!field.isIntegralNumber() || !field.canConvertToLong()) {
      throw new InvalidEventException(WRONG_TYPE, "timestamp must be epoch milliseconds");
    }
    long timestamp = field.asLong();
    if (timestamp < 0) {
      throw new InvalidEventException(TIMESTAMP_NEGATIVE, "timestamp " + timestamp);
    }
    long limit = wallClock.getAsLong() + maxFutureSkewMs;
    if (timestamp > limit) {
      throw new InvalidEventException(
          TIMESTAMP_IN_FUTURE, "timestamp " + timestamp + " is after " + limit);
    }
    return timestamp;
  }

  private static String id(JsonNode node, String name) {
    String value = optionalText(node, name);
    if (value == null || value.isEmpty()) {
      throw new InvalidEventException(MISSING_FIELD, name);
    }
    return value;
  }

  private static String optionalText(JsonNode node, String name) {
    JsonNode field = node.get(name);
    if (field == null || field.isNull()) {
      return null;
    }
    if (!field.isTextual() && !field.isIntegralNumber()) {
      throw new InvalidEventException(WRONG_TYPE, name + " must be a string");
    }
    return field.asText();
  }

  private static double number(JsonNode node, String name) {
    JsonNode field = node.get(name);
    if (field == null || field.isNull()) {
      throw new InvalidEventException(MISSING_FIELD, name);
    }
    if (!field.isNumber()) {
      throw new InvalidEventException(WRONG_TYPE, name + " must be a number");
    }
    double value = field.asDouble();
    if (!Double.isFinite(value)) {
      throw new InvalidEventException(NOT_FINITE, name + " is " + value);
    }
    return value;
  }

  private static float[] optionalVector(JsonNode node, String name) {
    JsonNode field = node.get(name);
    if (field == null || field.isNull()) {
      return null;
    }
    if (!field.isArray() || field.isEmpty()) {
      throw new InvalidEventException(WRONG_TYPE, name + " must be a non-empty array of numbers");
    }
    float[] vector = new float[field.size()];
    for (int i = 0; i < vector.length; i++) {
      JsonNode component = field.get(i);
      if (!component.isNumber()) {
        throw new InvalidEventException(WRONG_TYPE, name + "[" + i + "] must be a number");
      }
      float value = (float) component.asDouble();
      if (!Float.isFinite(value)) {
        throw new InvalidEventException(NOT_FINITE, name + "[" + i + "] is " + value);
      }
      vector[i] = value;
    }
    return vector;
  }

  private static Map<String, Object> optionalFeatures(JsonNode node, String name) {
    JsonNode field = node.get(name);
    if (field == null || field.isNull()) {
      return null;
    }
    if (!field.isObject()) {
      throw new InvalidEventException(WRONG_TYPE, name + " must be an object");
    }
    Map<String, Object> features = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = field.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      JsonNode value = entry.getValue();
      if (value.isNumber()) {
        double number = value.asDouble();
        if (!Double.isFinite(number)) {
          throw new InvalidEventException(NOT_FINITE, name + "." + entry.getKey());
        }
        features.put(entry.getKey(), number);
      } else if (value.isTextual() || value.isBoolean()) {
        features.put(entry.getKey(), value.asText());
      } else {
        throw new InvalidEventException(
            WRONG_TYPE, name + "." + entry.getKey() + " must be a string or number");
      }
    }
    return features;
  }
}
