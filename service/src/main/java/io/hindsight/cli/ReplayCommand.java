package io.hindsight.cli;

import io.hindsight.config.HindsightConfig;
import io.hindsight.datasets.EventLogReader;
import io.hindsight.datasets.MalformedEventException;
import io.hindsight.events.EventCodec;
import io.hindsight.replay.EventLogReplayer;
import io.hindsight.replay.KafkaEventSink;
import io.hindsight.replay.ReplaySpeed;
import io.hindsight.replay.ReplaySummary;
import io.hindsight.replay.ReplayedType;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code hindsight replay}: an event log into Hindsight's input topics in event-time order. Bad
 * lines go to stderr as {@code line N: reason}; progress and the summary to stdout.
 */
@Command(
    name = "replay",
    mixinStandardHelpOptions = true,
    description = {
      "Replay an event log (JSON Lines, or CSV with a header; gzip detected) into the predictions,"
          + " outcomes and interactions topics, in event-time order.",
      "The whole log is read, validated and sorted (stably, by timestamp) before the first event"
          + " is produced. Bad lines are reported on stderr as 'line N: reason' and skipped.",
      "Exit status: 0 done, 1 a bad line under --strict, an unreadable log or an undelivered"
          + " event, 2 invalid options or configuration, 130 interrupted."
    })
public final class ReplayCommand implements Callable<Integer> {

  static final int FAILED = 1;
  static final int INTERRUPTED = 130;

  @Spec CommandSpec spec;
  @picocli.CommandLine.Mixin LogOptions logs;

  @Option(
      names = "--input",
      required = true,
      paramLabel = "FILE",
      description = "Event log: JSON Lines, or CSV (.csv, .csv.gz); gzip detected from content.")
  Path input;

  @Option(
      names = "--bootstrap-servers",
      required = true,
      paramLabel = "HOST:PORT",
      description = "Kafka cluster to produce to.")
  String bootstrapServers;

  @Option(
      names = "--speed",
      defaultValue = "max",
      paramLabel = "max|N",
      converter = SpeedConverter.class,
      description =
          "'max' (default): as fast as possible; N: N times the log's own pace (event-time gaps"
              + " divided by N; 1 is real time).")
  ReplaySpeed speed;

  @Option(
      names = "--topic-prefix",
      paramLabel = "PREFIX",
      description = "Prefix of the topic names (topic.prefix), e.g. 'staging.'.")
  String topicPrefix;

  @Option(
      names = "--strict",
      description = "Stop at the first bad line with exit status 1; nothing is produced.")
  boolean strict;

  @Option(
      names = "--format",
      paramLabel = "jsonl|csv",
      converter = FormatConverter.class,
      description = "Log format; default from the file name (.csv or .csv.gz is CSV).")
  EventLogReader.Format format;

  @Option(
      names = "--type",
      paramLabel = "TYPE",
      converter = TypeConverter.class,
      description =
          "Type of every event (prediction, outcome or interaction), for a CSV log without a"
              + " 'type' column.")
  ReplayedType type;

  @Option(
      names = "--sort-memory",
      paramLabel = "MiB",
      description =
          "Heap for sorting before sorted runs are spilled to disk (default: a quarter of the"
              + " heap, at most 512).")
  Long sortMemoryMib;

  @Option(
      names = "--spill-dir",
      paramLabel = "DIR",
      description = "Where sorted runs of a large log are spilled (default: the temp directory).")
  Path spillDirectory;

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description = "Properties file (kafka.* client settings, validation.*, topic.*).")
  Path configFile;

  @Option(
      names = {"-s", "--set"},
      paramLabel = "KEY=VALUE",
      description = "Any configuration key, e.g. --set kafka.security.protocol=SASL_SSL.")
  Map<String, String> settings = new LinkedHashMap<>();

  @Override
  public Integer call() {
    PrintWriter err = spec.commandLine().getErr();
    HindsightConfig config = loadConfig();
    logs.route(config);
    EventCodec codec =
        new EventCodec(
            config.getInt(HindsightConfig.VALIDATION_MAX_RECORD_BYTES),
            config.getLong(HindsightConfig.VALIDATION_MAX_FUTURE_SKEW_MS),
            System::currentTimeMillis);
    ConsoleProgress progress = ConsoleProgress.forStandardOutput();
    EventLogReplayer.Builder builder =
        EventLogReplayer.builder(codec)
            .speed(speed)
            .strict(strict)
            .spillDirectory(spillDirectory)
            .progress(progress)
            .onRejectedLine(
                bad -> {
                  progress.finished();
                  err.println(bad.getMessage());
                  err.flush();
                });
    if (sortMemoryMib != null) {
      builder.sortMemoryBytes(sortMemoryMib << 20);
    }
    EventLogReplayer replayer = builder.build();
    if (!Files.isReadable(input)) {
      err.println("cannot read " + input);
      return FAILED;
    }
    ReplaySummary summary;
    try (EventLogReader reader =
            EventLogReader.open(
                input,
                format == null ? EventLogReader.Format.of(input) : format,
                type == null ? null : type.wireName());
        KafkaEventSink sink = KafkaEventSink.open(config)) {
      // From here on an interrupt stops the replay cleanly: what was sent is flushed and counted.
      Signals.onTermination(replayer::cancel);
      Console.announce("replaying " + input + " to " + bootstrapServers + " at speed " + speed);
      summary = replayer.replay(reader, sink);
      Console.announce(report(summary));
      Console.announce(perTopic(summary, sink));
    } catch (MalformedEventException e) {
      err.println("stopped at line " + e.lineNumber() + " (--strict): nothing was produced");
      return FAILED;
    } catch (IOException e) {
      err.println("cannot replay " + input + ": " + e.getMessage());
      return FAILED;
    } catch (IllegalStateException e) {
      err.println("replay failed: " + e.getMessage());
      return FAILED;
    }
    return summary.cancelled() ? INTERRUPTED : 0;
  }

  private HindsightConfig loadConfig() {
    Map<String, String> flags = new LinkedHashMap<>(settings);
    flags.put(HindsightConfig.BOOTSTRAP_SERVERS, bootstrapServers);
    if (topicPrefix != null) {
      flags.put(HindsightConfig.TOPIC_PREFIX, topicPrefix);
    }
    return HindsightConfig.load(configFile, System.getenv(), flags);
  }

  static String report(ReplaySummary summary) {
    return String.format(
        Locale.ROOT,
        "read %,d lines in %.1f s: %,d bad line(s) skipped%s%nproduced %,d events in %.1f s"
            + " (%,.0f events/s)%s",
        summary.linesRead(),
        summary.readNanos() / 1e9,
        summary.rejectedLines(),
        summary.spilledRuns() == 0 ? "" : ", sorted in " + summary.spilledRuns() + " runs on disk",
        summary.producedTotal(),
        summary.produceNanos() / 1e9,
        summary.eventsPerSecond(),
        summary.cancelled() ? " before being interrupted" : "");
  }

  /** The final line: events delivered per topic, {@code topic=count}. */
  static String perTopic(ReplaySummary summary, KafkaEventSink sink) {
    return summary.produced().entrySet().stream()
        .map(e -> sink.topic(e.getKey()) + "=" + e.getValue())
        .collect(Collectors.joining(" ", "per topic: ", ""));
  }

  static final class SpeedConverter implements ITypeConverter<ReplaySpeed> {
    @Override
    public ReplaySpeed convert(String value) {
      try {
        return ReplaySpeed.parse(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }

  static final class FormatConverter implements ITypeConverter<EventLogReader.Format> {
    @Override
    public EventLogReader.Format convert(String value) {
      return switch (value.toLowerCase(Locale.ROOT)) {
        case "jsonl", "json", "json-lines" -> EventLogReader.Format.JSON_LINES;
        case "csv" -> EventLogReader.Format.CSV;
        default -> throw new TypeConversionException("format must be jsonl or csv: " + value);
      };
    }
  }

  static final class TypeConverter implements ITypeConverter<ReplayedType> {
    @Override
    public ReplayedType convert(String value) {
      return ReplayedType.fromWireName(value)
          .orElseThrow(
              () ->
                  new TypeConversionException(
                      "type must be prediction, outcome or interaction: " + value));
    }
  }
}
