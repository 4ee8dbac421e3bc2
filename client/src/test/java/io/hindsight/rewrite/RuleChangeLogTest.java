package io.hindsight.rewrite;

import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.markov.RewriteRule;
import io.hindsight.markov.RuleChange;
import io.hindsight.markov.SnapshotInput;
import io.hindsight.markov.SnapshotOutput;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RuleChangeLogTest {

  /** a→b, c→d, a→e, a retracted, f→g: sequences 1 to 5. */
  private static void decide(RuleChangeLog log) {
    log.append(1_000, created("a", "b", 1));
    log.append(1_000, created("c", "d", 2));
    log.append(2_000, updated("a", "e", 3));
    log.append(3_000, retracted("a", "e", 3));
    log.append(3_000, created("f", "g", 4));
  }

  @Test
  void shouldKeepEachSourcesLatestChangeUnderItsOwnSequence() {
    RuleChangeLog log = new RuleChangeLog(false);
    decide(log);

    assertThat(sequences(log.after(0))).containsExactly(2L, 4L, 5L);
    assertThat(log.after(0).get(1).change()).isEqualTo(retracted("a", "e", 3));
    assertThat(sequences(log.after(2))).containsExactly(4L, 5L);
    assertThat(log.after(5)).isEmpty();
    assertThat(log.size()).isEqualTo(3);
  }

  @Test
  void shouldKeepEveryChangeWhenAsked() {
    RuleChangeLog log = new RuleChangeLog(true);
    decide(log);

    assertThat(sequences(log.after(0))).containsExactly(1L, 2L, 3L, 4L, 5L);
    assertThat(sequences(log.after(3))).containsExactly(4L, 5L);
  }

  /** A publisher at any sequence ends with the same topic whichever log it reads. */
  @Test
  void shouldLeaveACompactedTopicAsEveryChangeWould() {
    RuleChangeLog latest = new RuleChangeLog(false);
    RuleChangeLog every = new RuleChangeLog(true);
    decide(latest);
    decide(every);
    for (long from = 0; from <= 5; from++) {
      assertThat(compacted(latest.after(from))).isEqualTo(compacted(every.after(from)));
    }
  }

  @Test
  void shouldContinueTheSequenceAfterASnapshot(@TempDir Path dir) throws Exception {
    RuleChangeLog log = new RuleChangeLog(false);
    decide(log);
    Path file = dir.resolve("changes");
    try (OutputStream stream = Files.newOutputStream(file)) {
      SnapshotOutput out = new SnapshotOutput(stream);
      log.write(out);
      out.finish();
    }
    RuleChangeLog restored = new RuleChangeLog(false);
    try (SnapshotInput in = SnapshotInput.open(file)) {
      restored.read(in);
    }

    assertThat(restored.after(0)).isEqualTo(log.after(0));
    restored.append(4_000, created("h", "i", 5));
    log.append(4_000, created("h", "i", 5));
    assertThat(restored.after(5)).isEqualTo(log.after(5));
    assertThat(sequences(restored.after(5))).containsExactly(6L);
  }

  private static Map<String, RuleChange> compacted(List<ChainReplica.SequencedChange> changes) {
    Map<String, RuleChange> topic = new TreeMap<>();
    changes.forEach(c -> topic.put(c.change().source(), c.change()));
    return topic;
  }

  private static List<Long> sequences(List<ChainReplica.SequencedChange> changes) {
    return changes.stream().map(ChainReplica.SequencedChange::sequence).toList();
  }

  private static RuleChange created(String source, String target, long version) {
    return new RuleChange(
        RuleChange.Type.CREATED, rule(source, target, version), RuleChange.Reason.CHOSEN);
  }

  private static RuleChange updated(String source, String target, long version) {
    return new RuleChange(
        RuleChange.Type.UPDATED, rule(source, target, version), RuleChange.Reason.TARGET_CHANGED);
  }

  private static RuleChange retracted(String source, String target, long version) {
    return new RuleChange(
        RuleChange.Type.RETRACTED, rule(source, target, version), RuleChange.Reason.WITHDRAWN);
  }

  private static RewriteRule rule(String source, String target, long version) {
    return new RewriteRule(source, target, 0.9, 0.1, 0.8, 3, version, 1_000 * version);
  }
}
