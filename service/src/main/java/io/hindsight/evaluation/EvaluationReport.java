package io.hindsight.evaluation;

import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hindsight.events.EventCodec;
import io.hindsight.markov.RewriteRule;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.DoubleSupplier;

/**
 * Writes what an evaluation measured: {@code metrics.json} (byte-identical for the same input and
 * configuration), {@code rules.jsonl}, {@code compensations.csv} and a self-contained {@code
 * report.html}.
 */
public final class EvaluationReport {
  private final TopologyEvaluation.Result result;
  private final int slots;
  private final Map<String, String> configuration;

  public EvaluationReport(
      TopologyEvaluation.Result result, int slots, Map<String, String> configuration) {
    this.result = result;
    this.slots = slots;
    this.configuration = new TreeMap<>(configuration);
  }

  public void writeTo(Path directory) throws IOException {
    Files.createDirectories(directory);
    ObjectNode metrics = metrics();
    Files.writeString(
        directory.resolve("metrics.json"),
        EventCodec.JSON.writer(SerializationFeature.INDENT_OUTPUT).writeValueAsString(metrics)
            + "\n");
    try (BufferedWriter out = Files.newBufferedWriter(directory.resolve("rules.jsonl"))) {
      for (TopologyEvaluation.RuleEvent rule : result.rules()) {
        ObjectNode line = EventCodec.JSON.createObjectNode();
        line.put("timestamp", rule.timestamp());
        line.put("source", rule.source());
        line.put("target", rule.target());
        out.write(line.toString());
        out.write('\n');
      }
    }
    try (BufferedWriter out = Files.newBufferedWriter(directory.resolve("compensations.csv"))) {
      StringBuilder header =
          new StringBuilder("requestId,timestamp,userId,label,score,compensated");
      header.append(",oracle,trust");
      result.variants().forEach(name -> header.append(',').append(csv(name)));
      out.write(header.append('\n').toString());
      for (TopologyEvaluation.Row row : result.rows()) {
        StringBuilder variants = new StringBuilder();
        for (double v : row.variants()) {
          variants.append(',').append(v);
        }
        out.write(
            csv(row.requestId())
                + ","
                + row.timestamp()
                + ","
                + csv(row.userId())
                + ","
                + row.label()
                + ","
                + row.score()
                + ","
                + row.compensated()
                + ","
                + row.oracle()
                + ","
                + row.trust()
                + variants
                + "\n");
      }
    }
    Files.writeString(directory.resolve("report.html"), html(metrics));
  }

  /** The metrics document; see the README for every field. */
  public ObjectNode metrics() {
    ObjectNode root = EventCodec.JSON.createObjectNode();
    ObjectNode input = root.putObject("input");
    input.put("events", result.events());
    input.put("bad_lines", result.badLines());
    input.put("dead_letters", result.deadLetters());
    if (!result.rows().isEmpty()) {
      ObjectNode compensation = root.putObject("compensation");
      ObjectNode overall = slotMetrics(result.rows(), SERVED, null);
      compensation.set("overall", overall);
      ArrayNode slotArray = compensation.putArray("slots");
      List<List<TopologyEvaluation.Row>> split = ChronologicalSlotter.split(result.rows(), slots);
      for (List<TopologyEvaluation.Row> slot : split) {
        slotArray.add(slotMetrics(slot, SERVED, null));
      }
      ObjectNode writeModes = compensation.putObject("write_modes");
      result.writeModes().forEach(writeModes::put);
      ObjectNode reference = compensation.putObject("online_finetune");
      result.reference().forEach(reference::put);
      compensation.set("calibration", calibration(result.rows()));
      ObjectNode variants = compensation.putObject("variants");
      for (int v = 0; v < result.variants().size(); v++) {
        ObjectNode variant = variants.putObject(result.variants().get(v));
        variant.set("overall", slotMetrics(result.rows(), v, overall));
        ArrayNode variantSlots = variant.putArray("slots");
        for (int s = 0; s < split.size(); s++) {
          variantSlots.add(slotMetrics(split.get(s), v, (ObjectNode) slotArray.get(s)));
        }
      }
      double fallbacks = result.rows().stream().filter(r -> r.trust() < 1.0).count();
      number(compensation, "guard_fallback_rate", fallbacks / result.rows().size());
    }
    TopologyEvaluation.RewriteOutcome rewrites = result.rewrites();
    if (rewrites != null) {
      ObjectNode node = root.putObject("rewrites");
      node.put("rules", rewrites.rulesAtEnd().size());
      node.put("turns", rewrites.turns());
      node.put("wins", rewrites.wins());
      node.put("losses", rewrites.losses());
      number(
          node,
          "win_loss_ratio",
          rewrites.losses() == 0 ? Double.NaN : (double) rewrites.wins() / rewrites.losses());
      number(node, "defect_rate_before", (double) rewrites.defectsBefore() / rewrites.turns());
      number(node, "defect_rate_after", (double) rewrites.defectsAfter() / rewrites.turns());
      if (rewrites.precision() != null || rewrites.recall() != null) {
        number(node, "precision", rewrites.precision() == null ? Double.NaN : rewrites.precision());
        number(node, "recall", rewrites.recall() == null ? Double.NaN : rewrites.recall());
      }
      ArrayNode timeline = node.putArray("slots");
      for (List<TopologyEvaluation.Turn> slot :
          ChronologicalSlotter.split(rewrites.timeline(), slots)) {
        ObjectNode s = timeline.addObject();
        long before = slot.stream().filter(TopologyEvaluation.Turn::defectBefore).count();
        long after = slot.stream().filter(TopologyEvaluation.Turn::defectAfter).count();
        s.put("turns", slot.size());
        s.put("end", slot.isEmpty() ? 0 : slot.get(slot.size() - 1).timestamp());
        number(
            s, "defect_rate_before", slot.isEmpty() ? Double.NaN : (double) before / slot.size());
        number(s, "defect_rate_after", slot.isEmpty() ? Double.NaN : (double) after / slot.size());
      }
      ArrayNode live = node.putArray("live_rules");
      for (RewriteRule rule : rewrites.rulesAtEnd()) {
        ObjectNode r = live.addObject();
        r.put("source", rule.source());
        r.put("target", rule.target());
        r.put("support", rule.support());
        number(r, "source_success", rule.sourceSuccess());
        number(r, "target_success", rule.targetSuccess());
      }
    }
    return root;
  }

  /** {@link #slotMetrics}'s variant index of the served score. */
  private static final int SERVED = -1;

  /**
   * The metrics of {@code rows}, with "comp" the served score ({@link #SERVED}) or variant {@code
   * variant} of {@link TopologyEvaluation.Result#variants}; the base and oracle figures are copied
   * from {@code served}, the same rows' served metrics, when given.
   */
  private static ObjectNode slotMetrics(
      List<TopologyEvaluation.Row> rows, int variant, ObjectNode served) {
    int n = rows.size();
    double[] labels = new double[n];
    double[] base = new double[n];
    double[] comp = new double[n];
    double[] oracle = new double[n];
    Object[] users = new Object[n];
    for (int i = 0; i < n; i++) {
      TopologyEvaluation.Row row = rows.get(i);
      labels[i] = row.label();
      base[i] = row.score();
      comp[i] = variant == SERVED ? row.compensated() : row.variants()[variant];
      oracle[i] = row.oracle();
      users[i] = row.userId();
    }
    ObjectNode node = EventCodec.JSON.createObjectNode();
    node.put("n", n);
    shared(node, "auc_base", served, () -> BinaryMetrics.auc(labels, base));
    number(node, "auc_comp", BinaryMetrics.auc(labels, comp));
    shared(node, "gauc_base", served, () -> BinaryMetrics.gauc(users, labels, base));
    number(node, "gauc_comp", BinaryMetrics.gauc(users, labels, comp));
    shared(node, "logloss_base", served, () -> BinaryMetrics.logloss(labels, base));
    number(node, "logloss_comp", BinaryMetrics.logloss(labels, comp));
    shared(node, "ece_base", served, () -> BinaryMetrics.ece(labels, base));
    number(node, "ece_comp", BinaryMetrics.ece(labels, comp));
    shared(node, "auc_oracle", served, () -> BinaryMetrics.auc(labels, oracle));
    shared(node, "logloss_oracle", served, () -> BinaryMetrics.logloss(labels, oracle));
    return node;
  }

  /** A figure that does not depend on the variant: {@code served}'s when given. */
  private static void shared(
      ObjectNode node, String field, ObjectNode served, DoubleSupplier value) {
    if (served != null) {
      node.set(field, served.get(field));
    } else {
      number(node, field, value.getAsDouble());
    }
  }

  /** Reliability diagram: per tenth of predicted probability, mean prediction and mean label. */
  private static ArrayNode calibration(List<TopologyEvaluation.Row> rows) {
    ArrayNode bins = EventCodec.JSON.createArrayNode();
    for (String which : List.of("base", "comp")) {
      double[] sumP = new double[10];
      double[] sumY = new double[10];
      long[] count = new long[10];
      for (TopologyEvaluation.Row row : rows) {
        double p = which.equals("base") ? row.score() : row.compensated();
        int bin = Math.min(9, (int) (p * 10));
        sumP[bin] += p;
        sumY[bin] += row.label();
        count[bin]++;
      }
      for (int b = 0; b < 10; b++) {
        if (count[b] == 0) {
          continue;
        }
        ObjectNode node = bins.addObject();
        node.put("series", which);
        node.put("n", count[b]);
        number(node, "predicted", sumP[b] / count[b]);
        number(node, "observed", sumY[b] / count[b]);
      }
    }
    return bins;
  }

  /** JSON has no NaN: undefined figures are null. Figures are rounded to 6 decimals. */
  private static void number(ObjectNode node, String field, double value) {
    if (Double.isFinite(value)) {
      node.put(field, Math.round(value * 1e6) / 1e6);
    } else {
      node.putNull(field);
    }
  }

  private static String csv(String value) {
    if (value == null) {
      return "";
    }
    return value.contains(",") || value.contains("\"")
        ? '"' + value.replace("\"", "\"\"") + '"'
        : value;
  }

  private String html(ObjectNode metrics) throws IOException {
    ObjectNode data = metrics.deepCopy();
    ArrayNode rules = data.putArray("rule_changes");
    for (TopologyEvaluation.RuleEvent rule : result.rules()) {
      ObjectNode r = rules.addObject();
      r.put("t", rule.timestamp());
      r.put("source", rule.source());
      r.put("target", rule.target());
    }
    ObjectNode config = data.putObject("configuration");
    configuration.forEach(config::put);
    String template;
    try (InputStream in = EvaluationReport.class.getResourceAsStream("report-template.html")) {
      template = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    String json = data.toString().replace("</", "<\\/");
    return template.replace("/*DATA*/null", json);
  }
}
