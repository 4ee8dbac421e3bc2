package io.hindsight.rewrite;

import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.HindsightService;
import io.hindsight.config.HindsightConfig;
import io.hindsight.events.AppliedRewrite;
import io.hindsight.events.EventCodec;
import io.hindsight.events.Interaction;
import io.hindsight.events.Rewrite;
import io.hindsight.testing.Directories;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The rewrite topology in TopologyTestDriver: sessions, chains, rules, treatments, retraction. */
class RewriteTopologyTest {
  private static final long T0 = 1_600_000_000_000L;
  private static final String MISHEARD = "play maj and dragons";
  private static final String INTENDED = "play imagine dragons";

  private Path stateDir;
  private TopologyTestDriver driver;
  private RewriteApp app;
  private TestInputTopic<String, String> interactions;
  private TestOutputTopic<String, String> rewrites;
  private long clock = T0;
  private int users;

  @BeforeEach
  void start() throws Exception {
    stateDir = Files.createTempDirectory("hindsight-rewrite-ttd");
    Map<String, String> values = new HashMap<>();
    values.put(HindsightConfig.BOOTSTRAP_SERVERS, "unused:9092");
    values.put(HindsightConfig.STATE_DIR, stateDir.toString());
    values.put(HindsightConfig.REWRITE_MIN_SOURCE_USERS, "3");
    values.put(HindsightConfig.REWRITE_MIN_TRANSITION_USERS, "3");
    values.put(HindsightConfig.REWRITE_RETRACTION_MIN_APPLICATIONS, "5");
    values.put(HindsightConfig.REWRITE_COOLDOWN_MS, Long.toString(Duration.ofHours(1).toMillis()));
    values.put(HindsightConfig.VALIDATION_MAX_FUTURE_SKEW_MS, Long.toString(Long.MAX_VALUE / 4));
    HindsightConfig config = HindsightConfig.load(null, Map.of(), values);
    app = new RewriteApp(config);
    Properties props = new Properties();
    props.putAll(HindsightService.streamsSettings(config, app));
    driver = new TopologyTestDriver(app.topology(), props);
    interactions =
        driver.createInputTopic("interactions", new StringSerializer(), new StringSerializer());
    rewrites =
        driver.createOutputTopic("rewrites", new StringDeserializer(), new StringDeserializer());
  }

  @AfterEach
  void stop() {
    driver.close();
    Directories.delete(stateDir);
  }

  private void say(String user, long t, String utterance, AppliedRewrite rule) {
    interactions.pipeInput(
        user,
        new String(
            EventCodec.encode(new Interaction(user, t, utterance, null, null, null, rule)),
            StandardCharsets.UTF_8),
        t);
  }

  /** A new user mishears, rephrases 4 s later and succeeds; the next user comes a minute later. */
  private void reformulatingUser() {
    String user = "user-" + users++;
    say(user, clock, MISHEARD, null);
    say(user, clock + 4_000, INTENDED, null);
    clock += 60_000;
  }

  private void organicSuccess(String utterance) {
    say("user-" + users++, clock, utterance, null);
    clock += 60_000;
  }

  /** The rule table's changes since the last call: the latest value per source. */
  private List<KeyValue<String, String>> publish() {
    driver.advanceWallClockTime(Duration.ofSeconds(2));
    Map<String, String> latest = new java.util.LinkedHashMap<>();
    rewrites.readKeyValuesToList().forEach(kv -> latest.put(kv.key, kv.value));
    return latest.entrySet().stream().map(e -> KeyValue.pair(e.getKey(), e.getValue())).toList();
  }

  private RewriteReplica replica() {
    return app.replica().orElseThrow();
  }

  @Test
  void shouldCloseASessionAfterTheInactivityGap() {
    say("a", T0, MISHEARD, null);
    say("a", T0 + 4_000, INTENDED, null);
    assertThat(replica().chains()).isZero();
    say("b", T0 + 4_000 + 46_000, "what time is it", null);
    assertThat(replica().chains()).as("a's session closed by stream time").isEqualTo(1);
    say("a", T0 + 200_000, "what time is it", null);
    assertThat(replica().chains()).isEqualTo(2);
  }

  @Test
  void shouldCloseASessionAsSoonAsStreamTimePassesItsGap() {
    long gap =
        HindsightConfig.load(null, Map.of(), Map.of("bootstrap.servers", "x:9092"))
            .getLong(HindsightConfig.REWRITE_SESSION_GAP_MS);
    say("a", T0, MISHEARD, null);
    say("a", T0 + 4_000, INTENDED, null);
    say("b", T0 + 4_000 + gap, "what time is it", null);
    assertThat(replica().chains()).as("a turn exactly the gap later could still join").isZero();
    say("b", T0 + 4_000 + gap + 1, "what time is it", null);
    assertThat(replica().chains()).as("closed one millisecond past the gap").isEqualTo(1);
  }

  @Test
  void shouldPublishARuleOnceEnoughDistinctUsersReformulate() {
    for (int i = 0; i < 6; i++) {
      reformulatingUser();
    }
    organicSuccess("what time is it");
    organicSuccess("what time is it");
    List<KeyValue<String, String>> published = publish();
    assertThat(published).hasSize(1);
    Rewrite rule = read(published.get(0).value);
    assertThat(published.get(0).key).isEqualTo(MISHEARD);
    assertThat(rule.target()).isEqualTo(INTENDED);
    assertThat(rule.support()).isGreaterThanOrEqualTo(3);
    assertThat(replica().rule("Play Maj and Dragons?")).isPresent();
    assertThat(publish()).as("published once").isEmpty();
  }

  @Test
  void shouldNeverLearnFromOneUserRepeatingAReformulation() {
    for (int i = 0; i < 200; i++) {
      say("stubborn", clock, MISHEARD, null);
      say("stubborn", clock + 4_000, INTENDED, null);
      clock += 60_000;
    }
    organicSuccess("what time is it");
    assertThat(publish()).isEmpty();
  }

  @Test
  void shouldKeepTreatmentsOutOfTheChainAndRetractAnUnderperformingRule() {
    for (int i = 0; i < 6; i++) {
      reformulatingUser();
      organicSuccess(MISHEARD); // the source succeeds on its own half of the time
    }
    organicSuccess("what time is it");
    assertThat(publish()).hasSize(1);
    AppliedRewrite rule = new AppliedRewrite(MISHEARD, INTENDED, 1);
    for (int i = 0; i < 8; i++) {
      String user = "treated-" + i;
      say(user, clock, INTENDED, rule); // rewritten turn, then the user has to try again: a defect
      say(user, clock + 3_000, "play the band imagine dragons", null);
      clock += 60_000;
    }
    organicSuccess("what time is it");
    organicSuccess("what time is it");
    assertThat(replica().treatments()).isEqualTo(8);
    List<KeyValue<String, String>> retraction = publish();
    assertThat(retraction).extracting(kv -> kv.key).containsExactly(MISHEARD);
    assertThat(retraction.get(0).value).as("tombstone").isNull();
    assertThat(replica().rule(MISHEARD)).isEmpty();
    assertThat(replica().states())
        .as("only the organic utterances are states: misheard, intended, time, band")
        .isEqualTo(4);

    for (int i = 0; i < 6; i++) {
      reformulatingUser();
    }
    organicSuccess("what time is it");
    assertThat(publish()).as("kept out during the cool-down").isEmpty();

    clock += Duration.ofHours(1).toMillis();
    for (int i = 0; i < 3; i++) {
      reformulatingUser();
    }
    organicSuccess("what time is it");
    organicSuccess("what time is it");
    List<KeyValue<String, String>> readmitted = publish();
    assertThat(readmitted).extracting(kv -> kv.key).containsExactly(MISHEARD);
    assertThat(read(readmitted.get(0).value).target()).isEqualTo(INTENDED);
  }

  private static Rewrite read(String json) {
    try {
      return EventCodec.JSON.readValue(json, Rewrite.class);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
