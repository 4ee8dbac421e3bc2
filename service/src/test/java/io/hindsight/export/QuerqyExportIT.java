package io.hindsight.export;

import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.Hindsight;
import io.hindsight.events.EventCodec;
import io.hindsight.events.Rewrite;
import io.hindsight.testing.KafkaBroker;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code hindsight export querqy} against a real compacted rewrites topic. */
class QuerqyExportIT {
  @RegisterExtension static final KafkaBroker kafka = new KafkaBroker();

  private static final String TOPIC = "export-it.rewrites";

  @TempDir Path dir;

  @BeforeAll
  static void publishRulesAndARetraction() throws ExecutionException, InterruptedException {
    try (Admin admin =
        Admin.create(
            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      admin
          .createTopics(
              List.of(
                  new NewTopic(TOPIC, 3, (short) 1)
                      .configs(
                          Map.of(
                              TopicConfig.CLEANUP_POLICY_CONFIG,
                              TopicConfig.CLEANUP_POLICY_COMPACT))))
          .all()
          .get();
    }
    kafka.produce(
        TOPIC,
        List.of(
            rule("play jaz", "play jazz", 1),
            rule("paly jazz", "play jazz", 1),
            rule("wheather today", "whether today", 1),
            rule("turn of lights", "turn off lights", 1),
            // a newer version replaces the first target
            rule("wheather today", "weather today", 2),
            // retracted: its latest record is a tombstone
            new ProducerRecord<>(TOPIC, utf8("turn of lights"), null)));
  }

  @Test
  void shouldWriteTheLiveRulesAsQuerqyReplaceRules() throws Exception {
    Path out = dir.resolve("rules/replace-rules.txt");
    StringWriter err = new StringWriter();

    int exit =
        hindsight(
            err,
            "export",
            "querqy",
            "--bootstrap-servers",
            kafka.bootstrapServers(),
            "--topic-prefix",
            "export-it.",
            "--out",
            out.toString());

    assertThat(exit).as("exit status; stderr: %s", err).isZero();
    assertThat(Files.readAllLines(out))
        .filteredOn(line -> !line.startsWith("#"))
        .containsExactly("paly jazz; play jaz => play jazz", "wheather today => weather today");
    assertThat(Files.readString(out)).contains("inputDelimiter").doesNotContain("turn");
  }

  @Test
  void shouldWriteTheLiveRulesAsElasticsearchSynonyms() throws Exception {
    Path out = dir.resolve("synonyms.txt");
    StringWriter err = new StringWriter();

    int exit =
        hindsight(
            err,
            "export",
            "querqy",
            "--bootstrap-servers",
            kafka.bootstrapServers(),
            "--topic-prefix",
            "export-it.",
            "--format",
            "elasticsearch-synonyms",
            "--out",
            out.toString());

    assertThat(exit).as("exit status; stderr: %s", err).isZero();
    assertThat(Files.readAllLines(out))
        .filteredOn(line -> !line.startsWith("#"))
        .containsExactly("paly jazz, play jaz => play jazz", "wheather today => weather today");
  }

  @Test
  void shouldReadTheTableToItsEndWithTombstonesApplied() throws Exception {
    RewriteTable table =
        new RewriteTableReader(kafka.bootstrapServers(), Map.of(), java.time.Duration.ofSeconds(30))
            .read(TOPIC);

    assertThat(table.rules()).containsOnlyKeys("play jaz", "paly jazz", "wheather today");
    assertThat(table.rules().get("wheather today").version()).isEqualTo(2);
    assertThat(table.recordsRead()).isEqualTo(6);
    assertThat(table.retracted()).isEqualTo(1);
    assertThat(table.unreadable()).isEmpty();
  }

  @Test
  void shouldFailWithANonZeroStatusWhenTheTopicDoesNotExist() {
    StringWriter err = new StringWriter();

    int exit =
        hindsight(
            err,
            "export",
            "querqy",
            "--bootstrap-servers",
            kafka.bootstrapServers(),
            "--topic-prefix",
            "nobody.",
            "--timeout",
            "5",
            "--out",
            dir.resolve("none.txt").toString());

    assertThat(exit).isNotZero();
    assertThat(err.toString()).contains("nobody.rewrites");
    assertThat(dir.resolve("none.txt")).doesNotExist();
  }

  private static int hindsight(StringWriter err, String... args) {
    CommandLine commandLine = Hindsight.commandLine();
    commandLine.setErr(new PrintWriter(err, true));
    return commandLine.execute(args);
  }

  private static ProducerRecord<byte[], byte[]> rule(String source, String target, long version) {
    Rewrite rewrite =
        new Rewrite(source, target, 0.9, 0.2, 0.85, 7, version, 1_700_000_000_000L + version);
    return new ProducerRecord<>(TOPIC, utf8(source), EventCodec.encode(rewrite));
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
