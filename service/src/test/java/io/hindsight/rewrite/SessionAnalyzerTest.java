package io.hindsight.rewrite;

import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.events.AppliedRewrite;
import io.hindsight.events.Interaction;
import io.hindsight.events.Signal;
import java.util.List;
import org.junit.jupiter.api.Test;

class SessionAnalyzerTest {
  private final SessionAnalyzer analyzer = new SessionAnalyzer(15_000);

  private static Interaction turn(long t, String utterance) {
    return new Interaction("u", t, utterance, null, null, null, null);
  }

  @Test
  void shouldInferADefectWhenTheUserSpeaksAgainWithinTheRephraseGap() {
    List<Interaction> turns =
        List.of(
            turn(0, "play maj and dragons"),
            turn(4_000, "Play Imagine Dragons!"),
            turn(60_000, "weather"));
    assertThat(analyzer.defects(turns)).containsExactly(true, false, false);
    assertThat(analyzer.analyze("u", turns))
        .containsExactly(
            Reformulation.chain(
                "u", 4_000, List.of("play maj and dragons", "play imagine dragons"), true),
            Reformulation.chain("u", 60_000, List.of("weather"), true));
  }

  @Test
  void shouldTrustTheServingSidesSignalOverTiming() {
    List<Interaction> turns =
        List.of(
            new Interaction("u", 0, "stop", null, null, Signal.SUCCESS, null),
            new Interaction("u", 1_000, "play jazz", null, null, Signal.BARGE_IN, null));
    assertThat(analyzer.defects(turns)).containsExactly(false, true);
    assertThat(analyzer.analyze("u", turns))
        .containsExactly(
            Reformulation.chain("u", 0, List.of("stop"), true),
            Reformulation.chain("u", 1_000, List.of("play jazz"), false));
  }

  @Test
  void shouldEndAChainInFailureWhenTheUserGivesUp() {
    List<Interaction> turns =
        List.of(turn(0, "play maj and dragons"), turn(3_000, "play maj and dragons"));
    assertThat(analyzer.analyze("u", turns))
        .containsExactly(
            Reformulation.chain(
                "u", 3_000, List.of("play maj and dragons", "play maj and dragons"), true));
    List<Interaction> abandoned =
        List.of(
            turn(0, "play maj and dragons"),
            new Interaction("u", 3_000, "play may and dragons", null, null, Signal.ABANDON, null));
    assertThat(analyzer.analyze("u", abandoned))
        .containsExactly(
            Reformulation.chain(
                "u", 3_000, List.of("play maj and dragons", "play may and dragons"), false));
  }

  @Test
  void shouldKeepTreatmentsOutOfTheChains() {
    AppliedRewrite rule = new AppliedRewrite("play maj and dragons", "play imagine dragons", 1);
    List<Interaction> turns =
        List.of(
            new Interaction("u", 0, "play imagine dragons", null, null, null, rule),
            turn(5_000, "play imagine dragons"));
    assertThat(analyzer.analyze("u", turns))
        .containsExactly(
            Reformulation.treatment("u", 0, "play maj and dragons", "play imagine dragons", false),
            Reformulation.chain("u", 5_000, List.of("play imagine dragons"), true));
  }
}
