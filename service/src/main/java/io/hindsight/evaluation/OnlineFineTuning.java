package io.hindsight.evaluation;

import io.hindsight.compensation.PredictionKeys;
import io.hindsight.config.HindsightConfig;
import io.hindsight.events.Prediction;
import io.hindsight.memory.EmbeddingSlice;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The retraining reference {@code evaluate} reports beside the compensators: what touching the
 * model online would give. Logit = base logit (as an offset) + b_entity + w_entity·x + b_item, with
 * x the configured {@linkplain EmbeddingSlice slice} of the embedding; one SGD step on the log loss
 * (L2 on the touched parameters) after each label, as it becomes available. Single-threaded;
 * deterministic ({@link StrictMath}).
 *
 * <p>It is a reference, not a compensator: it keeps every entity and item forever, and its result
 * depends on the order of the labels.
 */
final class OnlineFineTuning {

  /**
   * @param entityField field of the per-entity vector and bias (e.g. {@code userId})
   * @param itemField field of the per-item bias (e.g. {@code itemId}); blank for none
   */
  record Settings(
      String entityField, String itemField, EmbeddingSlice input, double learningRate, double l2) {

    /** The settings as a report shows them. */
    Map<String, String> describe() {
      Map<String, String> d = new java.util.LinkedHashMap<>();
      d.put("entity_field", entityField);
      d.put("item_field", itemField);
      d.put("embedding", input.spec());
      d.put("learning_rate", Double.toString(learningRate));
      d.put("l2", Double.toString(l2));
      return d;
    }

    static Settings from(HindsightConfig config) {
      return new Settings(
          config.getString(HindsightConfig.EVALUATION_FINETUNE_ENTITY_FIELD).trim(),
          config.getString(HindsightConfig.EVALUATION_FINETUNE_ITEM_FIELD).trim(),
          EmbeddingSlice.parse(config.getString(HindsightConfig.COMPENSATION_ENTITY_EMBEDDING)),
          config.getDouble(HindsightConfig.EVALUATION_FINETUNE_LEARNING_RATE),
          config.getDouble(HindsightConfig.EVALUATION_FINETUNE_L2));
    }
  }

  private static final double EPSILON = 1e-6;
  private static final double MAX_MARGIN = 35;

  private final Settings settings;
  private final List<String> fields;

  /** Entity value → [bias, w_0 … w_{d−1}]. */
  private final Map<String, double[]> entities = new HashMap<>();

  private final Map<String, double[]> items = new HashMap<>();

  OnlineFineTuning(Settings settings) {
    this.settings = settings;
    this.fields =
        settings.itemField().isEmpty()
            ? List.of(settings.entityField())
            : List.of(settings.entityField(), settings.itemField());
  }

  Settings settings() {
    return settings;
  }

  /** The fine-tuned probability for {@code prediction} as the parameters stand. */
  double score(Prediction prediction) {
    return sigmoid(margin(prediction, PredictionKeys.fieldValues(prediction, fields)));
  }

  /** One SGD step on {@code prediction}'s log loss for {@code label} in [0, 1]. */
  void learn(Prediction prediction, double label) {
    Map<String, String> values = PredictionKeys.fieldValues(prediction, fields);
    double gradient = sigmoid(margin(prediction, values)) - label;
    double rate = settings.learningRate();
    double l2 = settings.l2();
    String entity = values.get(settings.entityField());
    if (entity != null) {
      double[] x = settings.input().select(prediction.embedding());
      double[] w = entities.computeIfAbsent(entity, e -> new double[1 + x.length]);
      w[0] -= rate * (gradient + l2 * w[0]);
      for (int i = 0; i < x.length && i + 1 < w.length; i++) {
        w[i + 1] -= rate * (gradient * x[i] + l2 * w[i + 1]);
      }
    }
    String item = settings.itemField().isEmpty() ? null : values.get(settings.itemField());
    if (item != null) {
      double[] b = items.computeIfAbsent(item, i -> new double[1]);
      b[0] -= rate * (gradient + l2 * b[0]);
    }
  }

  private double margin(Prediction prediction, Map<String, String> values) {
    double margin = logit(prediction.score());
    String entity = values.get(settings.entityField());
    double[] w = entity == null ? null : entities.get(entity);
    if (w != null) {
      margin += w[0];
      double[] x = settings.input().select(prediction.embedding());
      for (int i = 0; i < x.length && i + 1 < w.length; i++) {
        margin += w[i + 1] * x[i];
      }
    }
    String item = settings.itemField().isEmpty() ? null : values.get(settings.itemField());
    double[] b = item == null ? null : items.get(item);
    if (b != null) {
      margin += b[0];
    }
    return margin;
  }

  private static double logit(double p) {
    double q = Math.min(1 - EPSILON, Math.max(EPSILON, p));
    return StrictMath.log(q) - StrictMath.log1p(-q);
  }

  private static double sigmoid(double margin) {
    double m = Math.min(MAX_MARGIN, Math.max(-MAX_MARGIN, margin));
    return 1.0 / (1.0 + StrictMath.exp(-m));
  }
}
