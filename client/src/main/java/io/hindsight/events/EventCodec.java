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

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
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

  /**
   * Reads a prediction in one pass over its bytes, without building a tree: what {@link
   * #prediction(JsonNode)} would give for {@code parse(bytes)}, same values, same rejections in the
   * same order (malformed JSON first, then the embedding, the features, the score, the ids, the
   * timestamp; a repeated field's last value counts; what follows the object is ignored).
   */
  public Prediction prediction(byte[] bytes) {
    checkSize(bytes);
    RawPrediction raw = new RawPrediction();
    try (JsonParser parser =
        isAscii(bytes) ? JSON.createParser(bytes) : JSON.createParser(strictUtf8(bytes))) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw new InvalidEventException(MALFORMED_JSON, "not a JSON object");
      }
      raw.readFields(parser);
    } catch (JsonProcessingException e) {
      throw new InvalidEventException(MALFORMED_JSON, e.getOriginalMessage());
    } catch (java.io.IOException e) {
      throw new InvalidEventException(MALFORMED_JSON, e.getMessage());
    }
    return validated(raw);
  }

  /**
   * A compensation lookup's body read in one pass, without a tree: one prediction, or {@code
   * {modelId, modelVersion, timestamp?, candidates: [...]}} whose candidates take the batch's model
   * version (and its timestamp when they have none). A missing {@code timestamp} is {@code now}, a
   * missing {@code requestId} is {@code "lookup"}. The rejections are those of reading the body as
   * a tree and validating it field by field: malformed JSON anywhere first, then {@code
   * candidates}, {@code modelId}, {@code modelVersion}, then each candidate in order, named as
   * {@code candidates[i]: ...}. No size bound: the HTTP server has one.
   */
  public Lookup lookup(byte[] bytes, long now) {
    // The hand-written reader takes the common well-formed body; anything else is Jackson's.
    ReadLookup read = LookupScanner.read(bytes);
    if (read == null) {
      read = readLookup(bytes);
    }
    RawPrediction top = read.top;
    List<RawPrediction> candidates = read.candidates;
    top.putIfAbsent("timestamp", now);
    if (!read.hasCandidates) {
      top.putIfAbsent("requestId", LOOKUP_REQUEST_ID);
      Prediction one = validated(top);
      return new Lookup(one.modelId(), one.modelVersion(), false, List.of(one));
    }
    if (candidates == null) {
      throw new InvalidEventException(WRONG_TYPE, "candidates must be an array");
    }
    String modelId = top.batchText("modelId");
    String modelVersion = top.batchText("modelVersion");
    Object timestamp = top.scalars.get("timestamp");
    List<Prediction> predictions = new ArrayList<>(candidates.size());
    for (int i = 0; i < candidates.size(); i++) {
      RawPrediction candidate = candidates.get(i);
      if (candidate == null) {
        throw new InvalidEventException(WRONG_TYPE, "candidates[" + i + "] must be an object");
      }
      candidate.scalars.put("modelId", modelId);
      candidate.scalars.put("modelVersion", modelVersion);
      candidate.putIfAbsent("requestId", LOOKUP_REQUEST_ID);
      candidate.putIfAbsent("timestamp", timestamp);
      try {
        predictions.add(validated(candidate));
      } catch (InvalidEventException e) {
        throw new InvalidEventException(e.reason(), "candidates[" + i + "]: " + e.detail());
      }
    }
    return new Lookup(modelId, modelVersion, true, predictions);
  }

  /**
   * A lookup's predictions, in the request's order; {@code batch} when it came as {@code
   * candidates}.
   */
  public record Lookup(
      String modelId, String modelVersion, boolean batch, List<Prediction> predictions) {}

  static final String CANDIDATES = "candidates";
  private static final String LOOKUP_REQUEST_ID = "lookup";

  /** A lookup body's fields as read, before any is checked. */
  static final class ReadLookup {
    final RawPrediction top = new RawPrediction();
    boolean hasCandidates;

    /** The candidates array's elements ({@code null} for one not an object), or null. */
    List<RawPrediction> candidates;
  }

  /** Reads a lookup body with Jackson's streaming parser: any JSON, every rejection by name. */
  static ReadLookup readLookup(byte[] bytes) {
    ReadLookup read = new ReadLookup();
    try (JsonParser parser =
        isAscii(bytes) ? JSON.createParser(bytes) : JSON.createParser(strictUtf8(bytes))) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        // Malformed JSON further on is reported as such, as a tree parse would.
        parser.skipChildren();
        throw new InvalidEventException(MALFORMED_JSON, "not a JSON object");
      }
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String name = parser.currentName();
        JsonToken value = parser.nextToken();
        if (!name.equals(CANDIDATES)) {
          read.top.read(name, value, parser);
          continue;
        }
        read.hasCandidates = true;
        read.candidates = value == JsonToken.START_ARRAY ? readCandidates(parser) : null;
        if (read.candidates == null) {
          parser.skipChildren();
        }
      }
      if (parser.currentToken() != JsonToken.END_OBJECT) {
        throw new InvalidEventException(MALFORMED_JSON, "unexpected end of the object");
      }
    } catch (JsonProcessingException e) {
      throw new InvalidEventException(MALFORMED_JSON, e.getOriginalMessage());
    } catch (java.io.IOException e) {
      throw new InvalidEventException(MALFORMED_JSON, e.getMessage());
    }
    return read;
  }

  /** The candidates array's elements, {@code null} for one that is not an object. */
  private static List<RawPrediction> readCandidates(JsonParser parser) throws java.io.IOException {
    List<RawPrediction> candidates = new ArrayList<>();
    for (JsonToken element = parser.nextToken();
        element != JsonToken.END_ARRAY;
        element = parser.nextToken()) {
      if (element == JsonToken.START_OBJECT) {
        RawPrediction candidate = new RawPrediction();
        candidate.readFields(parser);
        candidates.add(candidate);
      } else {
        parser.skipChildren();
        candidates.add(null);
      }
    }
    return candidates;
  }

  private Prediction validated(RawPrediction raw) {
    raw.rejectBadEmbedding();
    raw.rejectBadFeatures();
    if (raw.embedding == null && raw.features == null) {
      throw new InvalidEventException(MISSING_FIELD, "embedding or features");
    }
    double score = raw.number("score");
    if (score < 0 || score > 1) {
      throw new InvalidEventException(SCORE_OUT_OF_RANGE, "score " + score + " not in [0,1]");
    }
    return new Prediction(
        raw.id("requestId"),
        raw.id("modelId"),
        raw.id("modelVersion"),
        checkTimestamp(raw.timestamp()),
        score,
        raw.embedding,
        raw.features,
        raw.optionalText("userId"),
        raw.optionalText("itemId"));
  }

  /**
   * A prediction's fields as the parser met them, each checked later in {@link
   * #prediction(byte[])}'s order: a rejection found while reading is kept, not thrown, so that
   * malformed JSON further on is reported first and a repeated field's later value replaces it.
   */
  static final class RawPrediction {
    float[] embedding;
    InvalidEventException badEmbedding;
    Map<String, Object> features;
    InvalidEventException badFeatures;

    /**
     * Scalar fields by name: a String, a Number, {@link JsonToken#VALUE_NULL} for an explicit null
     * (present, so not defaulted, but missing when checked), or a {@link JsonToken} for any other
     * value.
     */
    final Map<String, Object> scalars = new java.util.HashMap<>(8);

    /** Reads the fields of an object whose START_OBJECT was just read, up to its END_OBJECT. */
    void readFields(JsonParser parser) throws java.io.IOException {
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String name = parser.currentName();
        JsonToken value = parser.nextToken();
        read(name, value, parser);
      }
      if (parser.currentToken() != JsonToken.END_OBJECT) {
        throw new InvalidEventException(MALFORMED_JSON, "unexpected end of the object");
      }
    }

    void read(String name, JsonToken value, JsonParser parser) throws java.io.IOException {
      switch (name) {
        case "embedding" -> readEmbedding(value, parser);
        case "features" -> readFeatures(value, parser);
        case "requestId", "modelId", "modelVersion", "userId", "itemId", "score", "timestamp" -> {
          if (value == JsonToken.VALUE_NULL) {
            scalars.put(name, JsonToken.VALUE_NULL);
          } else if (value == JsonToken.VALUE_STRING) {
            scalars.put(name, parser.getText());
          } else if (value.isNumeric()) {
            scalars.put(name, number(parser));
          } else {
            scalars.put(name, value);
            parser.skipChildren();
          }
        }
        default -> parser.skipChildren();
      }
    }

    private void readEmbedding(JsonToken value, JsonParser parser) throws java.io.IOException {
      embedding = null;
      badEmbedding = null;
      if (value == JsonToken.VALUE_NULL) {
        return;
      }
      if (value != JsonToken.START_ARRAY) {
        parser.skipChildren();
        badEmbedding = emptyOrNotArray();
        return;
      }
      float[] vector = new float[64];
      int size = 0;
      for (JsonToken component = parser.nextToken();
          component != JsonToken.END_ARRAY;
          component = parser.nextToken()) {
        if (badEmbedding == null) {
          if (!component.isNumeric()) {
            badEmbedding =
                new InvalidEventException(WRONG_TYPE, "embedding[" + size + "] must be a number");
          } else {
            float f = (float) parser.getDoubleValue();
            if (!Float.isFinite(f)) {
              badEmbedding =
                  new InvalidEventException(NOT_FINITE, "embedding[" + size + "] is " + f);
            }
            if (size == vector.length) {
              vector = java.util.Arrays.copyOf(vector, 2 * size);
            }
            vector[size] = f;
          }
        }
        parser.skipChildren();
        size++;
      }
      if (size == 0) {
        badEmbedding = emptyOrNotArray();
      } else if (badEmbedding == null) {
        embedding = size == vector.length ? vector : java.util.Arrays.copyOf(vector, size);
      }
    }

    private static InvalidEventException emptyOrNotArray() {
      return new InvalidEventException(
          WRONG_TYPE, "embedding must be a non-empty array of numbers");
    }

    private void readFeatures(JsonToken value, JsonParser parser) throws java.io.IOException {
      features = null;
      badFeatures = null;
      if (value == JsonToken.VALUE_NULL) {
        return;
      }
      if (value != JsonToken.START_OBJECT) {
        parser.skipChildren();
        badFeatures = new InvalidEventException(WRONG_TYPE, "features must be an object");
        return;
      }
      // Values as read (a rejection for a bad one), checked in order once the object is complete:
      // a repeated key keeps its first place and its last value, as a tree would.
      Map<String, Object> read = new LinkedHashMap<>();
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String key = parser.currentName();
        JsonToken token = parser.nextToken();
        if (token.isNumeric()) {
          double number = parser.getDoubleValue();
          read.put(
              key,
              Double.isFinite(number)
                  ? (Object) number
                  : new InvalidEventException(NOT_FINITE, "features." + key));
        } else if (token == JsonToken.VALUE_STRING
            || token == JsonToken.VALUE_TRUE
            || token == JsonToken.VALUE_FALSE) {
          read.put(key, parser.getText());
        } else {
          parser.skipChildren();
          read.put(
              key,
              new InvalidEventException(
                  WRONG_TYPE, "features." + key + " must be a string or number"));
        }
      }
      for (Object v : read.values()) {
        if (v instanceof InvalidEventException e) {
          badFeatures = e;
          return;
        }
      }
      features = read;
    }

    void rejectBadEmbedding() {
      if (badEmbedding != null) {
        throw badEmbedding;
      }
    }

    void rejectBadFeatures() {
      if (badFeatures != null) {
        throw badFeatures;
      }
    }

    /** A default for a field the object does not have; an explicit null stays. */
    void putIfAbsent(String name, Object value) {
      scalars.putIfAbsent(name, value);
    }

    /** A scalar's value, null when absent or null. */
    private Object value(String name) {
      Object value = scalars.get(name);
      return value == JsonToken.VALUE_NULL ? null : value;
    }

    /** A batch's model id or version: a non-empty string, not a number. */
    String batchText(String name) {
      Object value = value(name);
      if (value == null) {
        throw new InvalidEventException(MISSING_FIELD, name);
      }
      if (!(value instanceof String text) || text.isBlank()) {
        throw new InvalidEventException(WRONG_TYPE, name + " must be a non-empty string");
      }
      return text;
    }

    double number(String name) {
      Object value = value(name);
      if (value == null) {
        throw new InvalidEventException(MISSING_FIELD, name);
      }
      if (!(value instanceof Number n)) {
        throw new InvalidEventException(WRONG_TYPE, name + " must be a number");
      }
      double d = n.doubleValue();
      if (!Double.isFinite(d)) {
        throw new InvalidEventException(NOT_FINITE, name + " is " + d);
      }
      return d;
    }

    String optionalText(String name) {
      Object value = value(name);
      if (value == null) {
        return null;
      }
      if (value instanceof String text) {
        return text;
      }
      if (value instanceof Long || value instanceof Integer || value instanceof BigInteger) {
        return value.toString();
      }
      throw new InvalidEventException(WRONG_TYPE, name + " must be a string");
    }

    String id(String name) {
      String value = optionalText(name);
      if (value == null || value.isEmpty()) {
        throw new InvalidEventException(MISSING_FIELD, name);
      }
      return value;
    }

    long timestamp() {
      Object value = value("timestamp");
      if (value == null) {
        throw new InvalidEventException(MISSING_FIELD, "timestamp");
      }
      if (value instanceof Long || value instanceof Integer) {
        return ((Number) value).longValue();
      }
      if (value instanceof BigInteger big && big.bitLength() < Long.SIZE) {
        return big.longValue();
      }
      throw new InvalidEventException(WRONG_TYPE, "timestamp must be epoch milliseconds");
    }

    /** An integral number as Integer, Long or BigInteger, as a tree keeps it; others as Double. */
    private static Number number(JsonParser parser) throws java.io.IOException {
      if (parser.currentToken() == JsonToken.VALUE_NUMBER_INT) {
        return switch (parser.getNumberType()) {
          case INT -> parser.getIntValue();
          case LONG -> parser.getLongValue();
          default -> parser.getBigIntegerValue();
        };
      }
      return parser.getDoubleValue();
    }
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
    checkSize(bytes);
    return parseObject(bytes);
  }

  private void checkSize(byte[] bytes) {
    if (bytes == null) {
      throw new InvalidEventException(MISSING_FIELD, "record has no value");
    }
    if (bytes.length > maxRecordBytes) {
      throw new InvalidEventException(
          RECORD_TOO_LARGE, bytes.length + " bytes > " + maxRecordBytes);
    }
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
    return checkTimestamp(field.asLong());
  }

  private long checkTimestamp(long timestamp) {
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
