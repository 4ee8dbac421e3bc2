package io.hindsight.compensation;

import io.hindsight.events.Prediction;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns candidate predictions into the replica's queries, for the service's lookup endpoint and the
 * embeddable client alike: the same key (the embedding, or the features hashed) and the same
 * declared fields' values, so that both score a candidate from the same inputs. Thread-safe.
 */
public final class LookupQueries {
  private final PredictionKeys keys;
  private final List<String> valueFields;

  public LookupQueries(CompensationSettings settings) {
    this.keys = new PredictionKeys(settings.featuresDimension());
    this.valueFields = settings.valueFields();
  }

  /** One query per prediction, in order. */
  public List<ErrorMemoryReplica.Query> of(List<Prediction> predictions) {
    List<ErrorMemoryReplica.Query> queries = new ArrayList<>(predictions.size());
    for (Prediction p : predictions) {
      queries.add(
          new ErrorMemoryReplica.Query(
              keys.of(p), p.score(), p.timestamp(), PredictionKeys.fieldValues(p, valueFields)));
    }
    return queries;
  }
}
