package io.hindsight.cli;

import io.hindsight.HindsightService;
import io.hindsight.config.HindsightConfig;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code hindsight run}: the topologies against a cluster or the embedded broker, until SIGTERM
 * (exit 0), or until a topology has failed beyond its restarts (exit {@value
 * #EXIT_TOPOLOGY_FAILED}, for a supervisor to start the process afresh).
 */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = "Run Hindsight's topologies against a Kafka cluster or the embedded broker.")
public final class RunCommand implements Callable<Integer> {
  /** The exit code when a topology failed and its restarts are spent. */
  public static final int EXIT_TOPOLOGY_FAILED = 3;

  @Mixin ConfigOptions options;
  @Mixin LogOptions logs;

  @Option(
      names = "--app",
      defaultValue = "all",
      description = "Which topology: ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE}).")
  Apps.Selection app;

  @Override
  public Integer call() throws InterruptedException {
    HindsightConfig config = options.load();
    logs.route(config);
    CountDownLatch stop = new CountDownLatch(1);
    Signals.onTermination(stop::countDown);
    try (HindsightService service =
        HindsightService.start(
            config, (c, registry) -> Apps.create(c, registry, app), Console::announce)) {
      Console.announce("ready: " + service.apps().stream().map(a -> a.name()).toList());
      service.failure().thenRun(stop::countDown);
      stop.await();
      if (service.failure().isDone()) {
        Console.announce("failed: " + service.failure().join());
        return EXIT_TOPOLOGY_FAILED;
      }
      Console.announce("stopping");
    }
    return 0;
  }
}
