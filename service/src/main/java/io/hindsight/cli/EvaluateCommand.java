package io.hindsight.cli;

import io.hindsight.config.HindsightConfig;
import io.hindsight.evaluation.EvaluationReport;
import io.hindsight.evaluation.TopologyEvaluation;
import io.hindsight.markov.UtteranceNormalizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code hindsight evaluate}: what Hindsight would have done on an event log, as a report. */
@Command(
    name = "evaluate",
    mixinStandardHelpOptions = true,
    description =
        "Run the topologies over an event log deterministically, without a broker, and write"
            + " metrics.json, rules.jsonl, compensations.csv and report.html.")
public final class EvaluateCommand implements Callable<Integer> {

  @Option(
      names = "--input",
      required = true,
      paramLabel = "FILE",
      description = "Event log (JSON Lines or CSV, optionally gzipped).")
  Path input;

  @Option(
      names = "--report",
      required = true,
      paramLabel = "DIR",
      description = "Directory for the report files.")
  Path report;

  @Option(
      names = "--truth",
      paramLabel = "FILE",
      description = "TSV: normalized failing utterance, tab, normalized intended utterance.")
  Path truth;

  @Option(
      names = "--slots",
      defaultValue = "10",
      paramLabel = "N",
      description = "Chronological slots of equal event count (default ${DEFAULT-VALUE}).")
  int slots;

  @Option(
      names = "--oracle-window",
      defaultValue = "5000",
      paramLabel = "N",
      description =
          "Recent samples the exact-kNN oracle keeps; each read scans them (default ${DEFAULT-VALUE}).")
  int oracleWindow;

  @Mixin ConfigOptions options;
  @Mixin LogOptions logs;

  @Override
  public Integer call() throws Exception {
    HindsightConfig config = options.load();
    logs.route(config);
    Map<String, String> truthPairs = truth == null ? null : readTruth(truth);
    ConsoleProgress progress =
        new ConsoleProgress(System.err, System.console() != null, System::nanoTime);
    TopologyEvaluation evaluation =
        new TopologyEvaluation(config, oracleWindow, progress::evaluating);
    TopologyEvaluation.Result result;
    try {
      result = evaluation.run(input, truthPairs);
    } finally {
      progress.finished();
    }
    new EvaluationReport(result, slots, effectiveConfiguration(config)).writeTo(report);
    Console.announce(
        String.format(
            "evaluated %,d events in %.1f s (%,.0f events/s); %d bad lines; report in %s",
            result.events(),
            result.seconds(),
            result.events() / result.seconds(),
            result.badLines(),
            report));
    return 0;
  }

  public static Map<String, String> readTruth(Path file) throws java.io.IOException {
    Map<String, String> pairs = new LinkedHashMap<>();
    for (String line : Files.readAllLines(file)) {
      int tab = line.indexOf('\t');
      if (tab > 0) {
        pairs.put(
            UtteranceNormalizer.normalize(line.substring(0, tab)),
            UtteranceNormalizer.normalize(line.substring(tab + 1)));
      }
    }
    return pairs;
  }

  static Map<String, String> effectiveConfiguration(HindsightConfig config) {
    Map<String, String> values = new TreeMap<>();
    for (String key : HindsightConfig.DEFINITION.names()) {
      if (key.startsWith("compensation.") || key.startsWith("rewrite.")) {
        values.put(key, String.valueOf(config.values().get(key)));
      }
    }
    return values;
  }
}
