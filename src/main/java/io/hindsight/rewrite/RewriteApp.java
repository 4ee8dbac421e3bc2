package io.hindsight.rewrite;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hindsight.RecordedTopology;
import io.hindsight.StreamsApp;
import io.hindsight.config.HindsightConfig;
import io.hindsight.config.Topics;
import io.hindsight.events.EventCodec;
import io.hindsight.events.EventTimeExtractor;
import io.hindsight.http.OperationsServer;
import io.hindsight.markov.RewriteRule;
import io.hindsight.markov.UtteranceNormalizer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.streams.StreamsConfig;

/** The rewrite topology as a deployable app, with its {@code GET /rewrite} lookup. */
public final class RewriteApp implements StreamsApp {
  public static final String NAME = "rewrites";

  private final HindsightConfig config;
  private final Topics topics;
  private final RewriteLoopSettings settings;
  private volatile RewriteReplica replica;

  public RewriteApp(HindsightConfig config) {
    this.config = config;
    this.topics = Topics.from(config);
    this.settings = RewriteLoopSettings.from(config);
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
          replica = new RewriteReplica(settings);
          return replica;
        },
        config::keyValueStore);
  }

  @Override
  public Map<String, Object> streamsSettings() {
    return Map.of(StreamsConfig.DEFAULT_TIMESTAMP_EXTRACTOR_CLASS_CONFIG, EventTimeExtractor.class);
  }

  @Override
  public void bind(MeterRegistry registry, OperationsServer server) {
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
    server.route("/rewrite", (method, query, body) -> lookup(query));
  }

  private OperationsServer.Response lookup(String query) {
    String utterance = null;
    if (query != null) {
      for (String pair : query.split("&")) {
        int eq = pair.indexOf('=');
        if (eq > 0 && pair.substring(0, eq).equals("utterance")) {
          utterance = URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
        }
      }
    }
    if (utterance == null) {
      throw new IllegalArgumentException("GET /rewrite?utterance=...");
    }
    String asked = utterance;
    ObjectNode answer = EventCodec.JSON.createObjectNode();
    answer.put("utterance", asked);
    answer.put("normalized", UtteranceNormalizer.normalize(asked));
    Optional<RewriteRule> rule = replica().flatMap(r -> r.rule(asked));
    if (rule.isEmpty()) {
      answer.putNull("target");
      return OperationsServer.Response.json(404, answer.toString());
    }
    RewriteRule r = rule.get();
    answer.put("target", r.target());
    answer.put("confidence", r.confidence());
    answer.put("sourceSuccess", r.sourceSuccess());
    answer.put("targetSuccess", r.targetSuccess());
    answer.put("support", r.support());
    answer.put("version", r.version());
    answer.put("updatedAt", r.updatedAt());
    return OperationsServer.Response.json(200, answer.toString());
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
