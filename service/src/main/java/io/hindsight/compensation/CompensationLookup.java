package io.hindsight.compensation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hindsight.events.EventCodec;
import io.hindsight.events.InvalidEventException;
import io.hindsight.events.Prediction;
import io.hindsight.events.RejectionReason;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Answers compensation lookups from this instance's replica without changing it: one prediction, or
 * a batch of candidates of one model version scored against one state of the replica. Requests and
 * answers are JSON trees; a candidate is validated as a record on {@code predictions} would be, and
 * a rejection names the candidate and the field. Thread-safe.
 */
public final class CompensationLookup {
  static final String CANDIDATES = "candidates";

  private final EventCodec codec;
  private final LookupQueries queries;
  private final CompensationSettings settings;
  private final Supplier<Optional<ErrorMemoryStore>> memory;
  private final LongSupplier clock;

  public CompensationLookup(
      EventCodec codec,
      CompensationSettings settings,
      Supplier<Optional<ErrorMemoryStore>> memory,
      LongSupplier clock) {
    this.codec = codec;
    this.queries = new LookupQueries(settings);
    this.settings = settings;
    this.memory = memory;
    this.clock = clock;
  }

  /**
   * {@code {modelId, modelVersion, score, embedding | features, userId?, itemId?, timestamp?}} gets
   * one answer; {@code {modelId, modelVersion, timestamp?, candidates: [...]}} gets {@code results}
   * in the candidates' order.
   *
   * @throws InvalidEventException naming the field (and the candidate) that is wrong
   */
  public ObjectNode answer(JsonNode request) {
    ObjectNode req = (ObjectNode) request;
    long now = clock.getAsLong();
    req.putIfAbsent("timestamp", req.numberNode(now));
    if (!req.has(CANDIDATES)) {
      req.putIfAbsent("requestId", req.textNode("lookup"));
      Prediction prediction = codec.prediction(req);
      ObjectNode answer = header(prediction.modelId(), prediction.modelVersion());
      result(
          answer,
          prediction,
          score(prediction.modelId(), prediction.modelVersion(), List.of(prediction)).get(0));
      return answer;
    }
    JsonNode candidates = req.get(CANDIDATES);
    if (!candidates.isArray()) {
      throw new InvalidEventException(RejectionReason.WRONG_TYPE, "candidates must be an array");
    }
    String modelId = text(req, "modelId");
    String modelVersion = text(req, "modelVersion");
    List<Prediction> predictions = new ArrayList<>(candidates.size());
    for (int i = 0; i < candidates.size(); i++) {
      JsonNode candidate = candidates.get(i);
      if (!candidate.isObject()) {
        throw new InvalidEventException(
            RejectionReason.WRONG_TYPE, "candidates[" + i + "] must be an object");
      }
      // The batch names the model version; a candidate brings its own time or takes the batch's.
      ObjectNode c = (ObjectNode) candidate;
      c.put("modelId", modelId);
      c.put("modelVersion", modelVersion);
      c.putIfAbsent("requestId", c.textNode("lookup"));
      c.putIfAbsent("timestamp", req.get("timestamp"));
      try {
        predictions.add(codec.prediction(c));
      } catch (InvalidEventException e) {
        throw new InvalidEventException(e.reason(), "candidates[" + i + "]: " + e.detail());
      }
    }
    List<Optional<ErrorMemoryStore.Scored>> scored = score(modelId, modelVersion, predictions);
    ObjectNode answer = header(modelId, modelVersion);
    ArrayNode results = answer.putArray("results");
    for (int i = 0; i < predictions.size(); i++) {
      result(results.addObject(), predictions.get(i), scored.get(i));
    }
    return answer;
  }

  private List<Optional<ErrorMemoryStore.Scored>> score(
      String modelId, String modelVersion, List<Prediction> predictions) {
    Optional<ErrorMemoryStore> store = memory.get();
    if (store.isEmpty()) {
      return predictions.stream().map(p -> Optional.<ErrorMemoryStore.Scored>empty()).toList();
    }
    return store.get().peek(modelId, modelVersion, queries.of(predictions));
  }

  private ObjectNode header(String modelId, String modelVersion) {
    ObjectNode answer = EventCodec.JSON.createObjectNode();
    answer.put("modelId", modelId);
    answer.put("modelVersion", modelVersion);
    answer.put("mode", settings.mode().configName());
    answer.put(
        "writeMode",
        memory
            .get()
            .map(m -> m.writeMode(modelId, modelVersion))
            .orElse(settings.writeMode() == WriteMode.EAGER ? WriteMode.EAGER : WriteMode.ON_CLOSE)
            .configName());
    return answer;
  }

  private static void result(
      ObjectNode into, Prediction prediction, Optional<ErrorMemoryStore.Scored> scored) {
    double compensated = scored.map(s -> s.scores().finalScore()).orElse(prediction.score());
    into.put("score", prediction.score());
    into.put("compensatedScore", compensated);
    into.put("delta", compensated - prediction.score());
    into.put("evidence", scored.map(ErrorMemoryStore.Scored::evidence).orElse(0));
    into.put("trust", scored.map(s -> s.scores().trust()).orElse(1.0));
  }

  private static String text(JsonNode node, String field) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      throw new InvalidEventException(RejectionReason.MISSING_FIELD, field);
    }
    if (!value.isTextual() || value.asText().isBlank()) {
      throw new InvalidEventException(
          RejectionReason.WRONG_TYPE, field + " must be a non-empty string");
    }
    return value.asText();
  }
}
