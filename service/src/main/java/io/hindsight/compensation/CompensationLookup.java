package io.hindsight.compensation;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hindsight.events.EventCodec;
import io.hindsight.events.InvalidEventException;
import io.hindsight.events.Prediction;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Answers compensation lookups from this instance's replica without changing it: one prediction, or
 * a batch of candidates of one model version scored against one state of the replica. Requests and
 * answers are JSON bytes; a candidate is validated as a record on {@code predictions} would be, and
 * a rejection names the candidate and the field. Thread-safe.
 */
public final class CompensationLookup {
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
   * in the candidates' order. The body is read and the answer written as token streams, without
   * trees: a batch's candidates are most of a lookup's work besides the replica's read.
   *
   * @throws InvalidEventException naming the field (and the candidate) that is wrong
   */
  public byte[] answer(byte[] body) {
    EventCodec.Lookup lookup = codec.lookup(body, clock.getAsLong());
    List<Prediction> predictions = lookup.predictions();
    List<Optional<ErrorMemoryStore.Scored>> scored =
        score(lookup.modelId(), lookup.modelVersion(), predictions);
    ByteArrayBuilder out = new ByteArrayBuilder(128 + 128 * predictions.size());
    try (JsonGenerator json = EventCodec.JSON.getFactory().createGenerator(out)) {
      json.writeStartObject();
      header(json, lookup.modelId(), lookup.modelVersion());
      if (!lookup.batch()) {
        result(json, predictions.get(0), scored.get(0));
      } else {
        json.writeArrayFieldStart("results");
        for (int i = 0; i < predictions.size(); i++) {
          json.writeStartObject();
          result(json, predictions.get(i), scored.get(i));
          json.writeEndObject();
        }
        json.writeEndArray();
      }
      json.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException("Writing to memory cannot fail", e);
    }
    return out.toByteArray();
  }

  /** {@link #answer(byte[])} for a request and an answer as trees. */
  public ObjectNode answer(JsonNode request) {
    try {
      return (ObjectNode)
          EventCodec.JSON.readTree(answer(EventCodec.JSON.writeValueAsBytes(request)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private List<Optional<ErrorMemoryStore.Scored>> score(
      String modelId, String modelVersion, List<Prediction> predictions) {
    Optional<ErrorMemoryStore> store = memory.get();
    if (store.isEmpty()) {
      return predictions.stream().map(p -> Optional.<ErrorMemoryStore.Scored>empty()).toList();
    }
    return store.get().peek(modelId, modelVersion, queries.of(predictions));
  }

  private void header(JsonGenerator json, String modelId, String modelVersion) throws IOException {
    json.writeStringField("modelId", modelId);
    json.writeStringField("modelVersion", modelVersion);
    json.writeStringField("mode", settings.mode().configName());
    json.writeStringField(
        "writeMode",
        memory
            .get()
            .map(m -> m.writeMode(modelId, modelVersion))
            .orElse(settings.writeMode() == WriteMode.EAGER ? WriteMode.EAGER : WriteMode.ON_CLOSE)
            .configName());
  }

  private static void result(
      JsonGenerator json, Prediction prediction, Optional<ErrorMemoryStore.Scored> scored)
      throws IOException {
    double compensated =
        scored.isPresent() ? scored.get().scores().finalScore() : prediction.score();
    json.writeNumberField("score", prediction.score());
    json.writeNumberField("compensatedScore", compensated);
    json.writeNumberField("delta", compensated - prediction.score());
    json.writeNumberField("evidence", scored.isPresent() ? scored.get().evidence() : 0);
    json.writeNumberField("trust", scored.isPresent() ? scored.get().scores().trust() : 1.0);
  }
}
