package io.hindsight.cli;

import io.hindsight.HindsightService;
import io.hindsight.config.HindsightConfig;
import io.hindsight.events.EventCodec;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code hindsight demo}: the embedded broker, every topology, synthetic traffic, a live summary
 * every few seconds and a final one. Its data lives in {@code data.dir} and is wiped at start.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description =
        "Run every loop on the embedded broker with synthetic traffic and print what it learns.")
public final class DemoCommand implements Callable<Integer> {

  @Mixin ConfigOptions options;

  @Option(
      names = "--duration",
      defaultValue = "60",
      paramLabel = "SECONDS",
      description = "How long to generate traffic (default ${DEFAULT-VALUE}).")
  int durationSeconds;

  @Option(
      names = "--rate",
      defaultValue = "2000",
      paramLabel = "N",
      description = "Predictions per second (default ${DEFAULT-VALUE}).")
  int rate;

  @Option(
      names = "--report-every",
      defaultValue = "5",
      paramLabel = "SECONDS",
      description = "Seconds between live summaries (default ${DEFAULT-VALUE}).")
  int reportSeconds;

  /**
   * The demo's world moves 20x faster than the wall clock; its windows and decay follow it. The
   * base model is strong, so the demo estimates errors from neighbours' residuals (gamma 0). A task
   * waits up to 2 s for outcomes before running ahead on predictions: at 20x a second of wall-clock
   * skew between the two partitions is a whole attribution window, and on a busy machine outcomes
   * otherwise arrive after their predictions' windows closed (orphaned).
   */
  static final String DEMO_TASK_IDLE = HindsightConfig.KAFKA_PREFIX + "max.task.idle.ms";

  static final Map<String, String> DEMO_DEFAULTS =
      Map.ofEntries(
          Map.entry(HindsightConfig.DATA_DIR, "./data/demo"),
          Map.entry(HindsightConfig.APPLICATION_ID, "hindsight-demo"),
          Map.entry(HindsightConfig.COMPENSATION_ATTRIBUTION_WINDOW_MS, "20000"),
          Map.entry(HindsightConfig.COMPENSATION_MEMORY_HALF_LIFE_MS, "30000"),
          Map.entry(HindsightConfig.COMPENSATION_MEMORY_ARRAYS, "32"),
          Map.entry(HindsightConfig.COMPENSATION_MEMORY_BITS, "10"),
          Map.entry(HindsightConfig.COMPENSATION_LAMBDA, "0.3"),
          Map.entry(HindsightConfig.COMPENSATION_GAMMA, "0"),
          Map.entry(HindsightConfig.COMPENSATION_FIELD_HALF_LIFE_MS, "30000"),
          Map.entry(HindsightConfig.COMPENSATION_GUARD_HALF_LIFE_MS, "30000"),
          Map.entry(HindsightConfig.PROCESSING_GUARANTEE, HindsightConfig.AT_LEAST_ONCE),
          Map.entry(DEMO_TASK_IDLE, "2000"));

  @Override
  public Integer call() throws Exception {
    HindsightConfig config = options.load(DEMO_DEFAULTS);
    if (config.embeddedBroker()) {
      io.hindsight.DataDirectory.delete(Path.of(config.getString(HindsightConfig.DATA_DIR)));
    }
    CountDownLatch interrupted = new CountDownLatch(1);
    Signals.onTermination(interrupted::countDown);
    EventCodec.JSON.getClass(); // load Jackson before timing starts
    try (HindsightService service =
            HindsightService.start(
                config,
                (c, registry) -> Apps.create(c, registry, Apps.Selection.all),
                Console::announce);
        CompensationDemo compensation =
            new CompensationDemo(service.bootstrapServers(), service.topics(), rate, 42);
        RewriteDemo rewrites =
            new RewriteDemo(
                service.bootstrapServers(),
                service.topics(),
                (io.hindsight.rewrite.RewriteApp) service.apps().get(1),
                rate / 4,
                42)) {
      Console.announce(
          "demo: generating traffic for "
              + durationSeconds
              + " s: a drifting recommender ("
              + rate
              + " predictions/s) and reformulating users ("
              + rewrites.source()
              + ")");
      compensation.start();
      rewrites.start();
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(durationSeconds);
      while (System.nanoTime() < end
          && !interrupted.await(
              Math.min(reportSeconds * 1000L, Math.max(1, (end - System.nanoTime()) / 1_000_000)),
              TimeUnit.MILLISECONDS)) {
        Console.announce(compensation.liveLine(service));
        service
            .apps()
            .forEach(
                app -> {
                  if (!app.summary().isEmpty()) {
                    Console.announce("  " + app.name() + ": " + app.summary());
                  }
                });
      }
      compensation.stopTraffic();
      rewrites.stopTraffic();
      Console.announce(compensation.finalSummary());
      Console.announce(rewrites.finalSummary());
      service.apps().forEach(app -> Console.announce(app.name() + ": " + app.summary()));
    }
    return 0;
  }
}
