package io.hindsight.rewrite;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hindsight.RecordedTopology;
import io.hindsight.StreamsApp;
import io.hindsight.config.HindsightConfig;
import io.hindsight.config.Topics;
import io.hindsight.events.EventCodec;
import io.hindsight.events.EventTimeExtractor;
import io.hindsight.events.InvalidEventException;
import io.hindsight.events.RejectionReason;
import io.hindsight.http.OperationsServer;
import io.hindsight.markov.RewriteRule;
import io.hindsight.markov.UtteranceNormalizer;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The rewrite topology as a deployable app, with its lookups: {@code GET /rewrite?utterance=} and
 * {@code POST /rewrite} with a list of utterances.
 */
public final class RewriteApp implements StreamsApp {
  public static final String NAME = "rewrites";

  private final HindsightConfig config;
  private final Topics topics;
  private final RewriteLoopSettings settings;
  private final boolean keepEveryRuleChange;
  private volatile RewriteReplica replica;
  private volatile MeterRegistry registry;

  public RewriteApp(HindsightConfig config) {
    this(config, false);
  }

  /**
   * @param keepEveryRuleChange the replica keeps every rule change, not only each source's latest
   *     (an evaluation's report lists them all)
   */
  public RewriteApp(HindsightConfig config, boolean keepEveryRuleChange) {
    this.config = config;
    this.topics = Topics.from(config);
    this.settings = RewriteLoopSettings.from(config);
    this.keepEveryRuleChange = keepEveryRuleChange;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public RecordedTopology topology() {
    return RewriteTopology.build(
        topics,
        settings,
        () -> {
          replica = new RewriteReplica(settings, keepEveryRuleChange);
          return replica;
        },
        io.hindsight.KeyValueStores.of(config));
  }

  @Override
  public Map<String, Object> streamsSettings() {
    return Map.of(StreamsConfig.DEFAULT_TIMESTAMP_EXTRACTOR_CLASS_CONFIG, EventTimeExtractor.class);
  }

  /** Keeps the replica's snapshot if Streams can restore from just after it; see the replica. */
  @Override
  public void beforeStart(String stateDirectory, String applicationId) {
    String rebuild =
        new RewriteReplica(settings)
            .prepareRecovery(
                java.nio.file.Path.of(stateDirectory, applicationId, "global"),
                topics.reformulations().name());
    MeterRegistry meters = registry;
    if (rebuild != null && meters != null) {
      io.hindsight.recovery.StateRebuilds.count(
          meters, RewriteReplica.NAME, io.hindsight.recovery.StateRebuilds.UNTRUSTED_REPLICA);
    }
  }

  @Override
  public void bind(MeterRegistry registry, OperationsServer server) {
    this.registry = registry;
    Gauge.builder(
            "hindsight.rewrite.states",
            this,
            app -> app.replica().map(RewriteReplica::states).orElse(0))
        .description("Utterance states in the chain")
        .register(registry);
    Gauge.builder(
            "hindsight.rewrite.rules.live",
            this,
            app -> app.replica().map(r -> r.liveRules().size()).orElse(0))
        .description("Live rewrite rules")
        .register(registry);
    FunctionCounter.builder(
            "hindsight.rewrite.states.evicted",
            this,
            app -> app.replica().map(RewriteReplica::evictedStates).orElse(0L))
        .description("Cold utterance states evicted to keep the replica under rewrite.max.states")
        .register(registry);
    FunctionCounter.builder(
            "hindsight.rewrite.decisions",
            this,
            app -> app.replica().map(RewriteReplica::decisions).orElse(0L))
        .description("Rule decisions that searched the chain")
        .register(registry);
    FunctionCounter.builder(
            "hindsight.rewrite.decisions.uncertain",
            this,
            app -> app.replica().map(RewriteReplica::uncertainDecisions).orElse(0L))
        .description("Rule decisions that reached rewrite.search.max.pushes before certainty")
        .register(registry);
    FunctionCounter.builder(
            "hindsight.rewrite.replica.skipped",
            this,
            app -> app.replica().map(RewriteReplica::skippedRecords).orElse(0L))
        .description("Reformulations delivered again that the replica's snapshot reflected already")
        .register(registry);
    FunctionCounter.builder(
            "hindsight.rewrite.replica.snapshot.seconds",
            this,
            app -> app.replica().map(r -> r.snapshotMillis() / 1000.0).orElse(0.0))
        .description("Time the global thread spent writing snapshots of the replica")
        .register(registry);
    server.route("/rewrite", this::lookup);
  }

  private OperationsServer.Response lookup(String method, String query, byte[] body) {
    if (method.equals("GET")) {
      String utterance = queryParameter(query, "utterance");
      if (utterance == null) {
        return OperationsServer.Response.error(
            400, RejectionReason.MISSING_FIELD.code(), "utterance: GET /rewrite?utterance=...");
      }
      ObjectNode answer = answer(utterance);
      return OperationsServer.Response.json(
          answer.get("target").isNull() ? 404 : 200, answer.toString());
    }
    if (!method.equals("POST")) {
      return OperationsServer.Response.error(
          405, "method-not-allowed", "GET /rewrite?utterance=... or POST {utterances: [...]}");
    }
    JsonNode utterances;
    try {
      utterances = EventCodec.parseObject(body).get("utterances");
    } catch (InvalidEventException e) {
      return OperationsServer.Response.error(400, e.reason().code(), e.detail());
    }
    if (utterances == null || !utterances.isArray()) {
      return OperationsServer.Response.error(
          400, RejectionReason.MISSING_FIELD.code(), "utterances: a list of strings");
    }
    ObjectNode answer = EventCodec.JSON.createObjectNode();
    ArrayNode results = answer.putArray("results");
    for (int i = 0; i < utterances.size(); i++) {
      if (!utterances.get(i).isTextual()) {
        return OperationsServer.Response.error(
            400, RejectionReason.WRONG_TYPE.code(), "utterances[" + i + "] must be a string");
      }
      results.add(answer(utterances.get(i).asText()));
    }
    return OperationsServer.Response.json(200, answer.toString());
  }

  /** The live rule for an utterance, or {@code target: null} when it has none. */
  private ObjectNode answer(String utterance) {
    ObjectNode answer = EventCodec.JSON.createObjectNode();
    answer.put("utterance", utterance);
    answer.put("normalized", UtteranceNormalizer.normalize(utterance));
    Optional<RewriteRule> rule = replica().flatMap(r -> r.rule(utterance));
    if (rule.isEmpty()) {
      answer.putNull("target");
      return answer;
    }
    RewriteRule r = rule.get();
    answer.put("target", r.target());
    answer.put("confidence", r.confidence());
    answer.put("sourceSuccess", r.sourceSuccess());
    answer.put("targetSuccess", r.targetSuccess());
    answer.put("support", r.support());
    answer.put("version", r.version());
    answer.put("updatedAt", r.updatedAt());
    return answer;
  }

  private static String queryParameter(String query, String name) {
    if (query != null) {
      for (String pair : query.split("&")) {
        int eq = pair.indexOf('=');
        if (eq > 0 && pair.substring(0, eq).equals(name)) {
          return URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
        }
      }
    }
    return null;
  }

  public Optional<RewriteReplica> replica() {
    RewriteReplica current = replica;
    return current == null || !current.isOpen() ? Optional.empty() : Optional.of(current);
  }

  @Override
  public String summary() {
    return replica()
        .map(
            r ->
                String.format(
                    "chain: %,d states from %,d chains, %,d treatments; %d live rules",
                    r.states(), r.chains(), r.treatments(), r.liveRules().size()))
        .orElse("chain: not open");
  }
}
