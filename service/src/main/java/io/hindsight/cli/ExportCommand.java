package io.hindsight.cli;

import io.hindsight.config.HindsightConfig;
import io.hindsight.config.Topics;
import io.hindsight.export.RewriteTable;
import io.hindsight.export.RewriteTableReader;
import io.hindsight.export.RuleFileFormat;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/** {@code hindsight export}: the live rewrite rules in formats search engines load. */
@Command(
    name = "export",
    mixinStandardHelpOptions = true,
    description = "Export what Hindsight learned in formats other systems load.",
    subcommands = {ExportCommand.Querqy.class})
public final class ExportCommand implements Runnable {

  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** {@code hindsight export querqy}. */
  @Command(
      name = "querqy",
      mixinStandardHelpOptions = true,
      description = {
        "Read the compacted rewrites topic from the beginning to its current end (committed"
            + " records only) and write the live rules, retracted ones left out.",
        "querqy: Querqy Replace Rewriter rules, 'source; other source => target' (configure the"
            + " rewriter with \"inputDelimiter\": \";\").",
        "elasticsearch-synonyms: Solr/Elasticsearch synonym lines, 'source, other source =>"
            + " target'."
      })
  static final class Querqy implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(
        names = "--bootstrap-servers",
        required = true,
        paramLabel = "HOST:PORT",
        description = "Kafka cluster holding the rewrites topic.")
    String bootstrapServers;

    @Option(
        names = "--out",
        required = true,
        paramLabel = "FILE",
        description = "Rule file to write.")
    Path out;

    @Option(
        names = "--topic-prefix",
        paramLabel = "PREFIX",
        description = "Prefix of the topic names (topic.prefix).")
    String topicPrefix;

    @Option(
        names = "--format",
        defaultValue = "querqy",
        paramLabel = "FORMAT",
        converter = FormatConverter.class,
        description = "querqy (default) or elasticsearch-synonyms.")
    RuleFileFormat format;

    @Option(
        names = "--timeout",
        defaultValue = "60",
        paramLabel = "SECONDS",
        description =
            "Longest time reading the topic to its end may take (default ${DEFAULT-VALUE}).")
    long timeoutSeconds;

    @Option(
        names = "--config",
        paramLabel = "FILE",
        description = "Properties file (kafka.* client settings, topic.prefix).")
    Path configFile;

    @Option(
        names = {"-s", "--set"},
        paramLabel = "KEY=VALUE",
        description = "Any configuration key, e.g. --set kafka.security.protocol=SASL_SSL.")
    Map<String, String> settings = new LinkedHashMap<>();

    @Override
    public Integer call() {
      PrintWriter err = spec.commandLine().getErr();
      Map<String, String> flags = new LinkedHashMap<>(settings);
      flags.put(HindsightConfig.BOOTSTRAP_SERVERS, bootstrapServers);
      if (topicPrefix != null) {
        flags.put(HindsightConfig.TOPIC_PREFIX, topicPrefix);
      }
      HindsightConfig config = HindsightConfig.load(configFile, System.getenv(), flags);
      String topic = Topics.from(config).rewrites().name();
      RewriteTable table;
      try {
        table =
            new RewriteTableReader(
                    bootstrapServers, config.kafkaOverrides(), Duration.ofSeconds(timeoutSeconds))
                .read(topic);
      } catch (IOException e) {
        err.println("cannot read " + topic + ": " + e.getMessage());
        return ReplayCommand.FAILED;
      }
      table.unreadable().forEach(problem -> err.println("skipped record: " + problem));
      RuleFileFormat.RenderedRules rendered =
          format.render(table.rules().values(), "topic " + topic);
      rendered.skipped().forEach(problem -> err.println("skipped rule: " + problem));
      try {
        writeAtomically(out, rendered.text());
      } catch (IOException e) {
        err.println("cannot write " + out + ": " + e.getMessage());
        return ReplayCommand.FAILED;
      }
      Console.announce(
          String.format(
              "read %d record(s) from %s: %d live rule(s), %d retracted; wrote %d rule(s) on %d"
                  + " line(s) to %s (%s)",
              table.recordsRead(),
              topic,
              table.rules().size(),
              table.retracted(),
              rendered.rules(),
              rendered.lines(),
              out,
              format.cliName()));
      return 0;
    }

    /** A search engine reloading the file never sees half of it. */
    private static void writeAtomically(Path file, String text) throws IOException {
      Path absolute = file.toAbsolutePath();
      Files.createDirectories(absolute.getParent());
      Path temporary = Files.createTempFile(absolute.getParent(), ".hindsight-export-", ".tmp");
      try {
        Files.writeString(temporary, text, StandardCharsets.UTF_8);
        Files.move(
            temporary,
            absolute,
            StandardCopyOption.REPLACE_EXISTING,
            StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(temporary);
      }
    }
  }

  static final class FormatConverter implements ITypeConverter<RuleFileFormat> {
    @Override
    public RuleFileFormat convert(String value) {
      try {
        return RuleFileFormat.fromCliName(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }
}
