package io.hindsight.rewrite;

import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.HindsightService;
import io.hindsight.config.HindsightConfig;
import io.hindsight.events.EventCodec;
import io.hindsight.events.Interaction;
import io.hindsight.events.Signal;
import io.hindsight.testing.Directories;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;

/**
 * Rule freshness in log time, without a broker's or a loaded machine's delays: the load harness's
 * traffic (20 sessions/s, half of them a failing utterance rephrased 4 s later into the one that
 * works) through the rewrite topology, wall clock and event time moving together. A rule must come
 * out within the session gap plus 2 s of the turn that completed its evidence (the rephrase of the
 * last distinct user needed): the session gap, the next solver boundary and the publisher.
 */
class RuleFreshnessTest {
  private static final long T0 = 1_600_000_000_000L;
  private static final long RUN_MS = 300_000;
  private static final long STEP_MS = 50; // one session starts every step: 20/s
  private static final int INTENTS = 400;

  @Test
  void shouldPublishEveryRuleWithinTheSessionGapPlusTwoSecondsOfItsEvidence() throws Exception {
    Path stateDir = Files.createTempDirectory("hindsight-rule-freshness");
    Map<String, String> values = new HashMap<>();
    values.put(HindsightConfig.BOOTSTRAP_SERVERS, "unused:9092");
    values.put(HindsightConfig.STATE_DIR, stateDir.toString());
    values.put(HindsightConfig.VALIDATION_MAX_FUTURE_SKEW_MS, Long.toString(Long.MAX_VALUE / 4));
    values.put(HindsightConfig.REWRITE_SOLVER_INTERVAL_MS, "1000"); // the load scenario's
    HindsightConfig config = HindsightConfig.load(null, Map.of(), values);
    long gap = config.getLong(HindsightConfig.REWRITE_SESSION_GAP_MS);
    int ruleUsers =
        Math.max(
            config.getInt(HindsightConfig.REWRITE_MIN_SOURCE_USERS),
            config.getInt(HindsightConfig.REWRITE_MIN_TRANSITION_USERS));
    RewriteApp app = new RewriteApp(config);
    Properties props = new Properties();
    props.putAll(HindsightService.streamsSettings(config, app));
    Map<String, Long> evidenceCompleted = new HashMap<>();
    Map<String, Long> published = new HashMap<>();
    try (TopologyTestDriver driver = new TopologyTestDriver(app.topology(), props)) {
      TestInputTopic<String, String> in =
          driver.createInputTopic("interactions", new StringSerializer(), new StringSerializer());
      TestOutputTopic<String, String> rewrites =
          driver.createOutputTopic("rewrites", new StringDeserializer(), new StringDeserializer());
      SplittableRandom random = new SplittableRandom(7);
      Map<Integer, Integer> reformulators = new HashMap<>();
      TreeMap<Long, List<Runnable>> later = new TreeMap<>();
      int user = 0;
      for (long t = T0; t < T0 + RUN_MS; t += STEP_MS) {
        while (!later.isEmpty() && later.firstKey() <= t) {
          later.pollFirstEntry().getValue().forEach(Runnable::run);
        }
        String id = "u" + user++ % 2000; // each user speaks every 100 s: one session each time
        if (random.nextBoolean()) {
          int intent = random.nextInt(INTENTS);
          say(in, id, t, "play trak " + intent + " from my library", false);
          long rephrased = t + 4_000;
          later
              .computeIfAbsent(rephrased, k -> new ArrayList<>())
              .add(() -> say(in, id, rephrased, "play track " + intent + " from my library", true));
          if (reformulators.merge(intent, 1, Integer::sum) == ruleUsers) {
            evidenceCompleted.put("play trak " + intent + " from my library", rephrased);
          }
        } else {
          say(in, id, t, "what time is it " + random.nextInt(50), true);
        }
        if ((t - T0) % 100 == 0) {
          driver.advanceWallClockTime(SessionProcessor.PUBLISH_INTERVAL);
          for (KeyValue<String, String> rule : rewrites.readKeyValuesToList()) {
            published.putIfAbsent(rule.key, t);
          }
        }
      }
    } finally {
      Directories.delete(stateDir);
    }
    List<Long> lags = new ArrayList<>();
    evidenceCompleted.forEach(
        (source, completed) -> {
          if (completed < T0 + RUN_MS - gap - 5_000) {
            assertThat(published).as("rule for %s published", source).containsKey(source);
            lags.add(published.get(source) - completed);
          }
        });
    assertThat(lags).hasSizeGreaterThan(INTENTS / 2);
    assertThat(lags).allSatisfy(lag -> assertThat(lag).isBetween(gap, gap + 2_000));
    lags.sort(null);
    System.out.printf(
        "rule freshness in log time, %d rules: p50 %d ms, max %d ms (gap %d ms)%n",
        lags.size(), lags.get(lags.size() / 2), lags.get(lags.size() - 1), gap);
  }

  private static void say(
      TestInputTopic<String, String> in, String user, long t, String utterance, boolean success) {
    Interaction turn =
        new Interaction(user, t, utterance, null, null, success ? Signal.SUCCESS : null, null);
    in.pipeInput(user, new String(EventCodec.encode(turn), StandardCharsets.UTF_8), t);
  }
}
