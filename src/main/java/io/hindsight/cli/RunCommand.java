package io.hindsight.cli;

import io.hindsight.HindsightService;
import io.hindsight.config.HindsightConfig;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code hindsight run}: the topologies against a cluster or the embedded broker, until SIGTERM.
 */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = "Run Hindsight's topologies against a Kafka cluster or the embedded broker.")
public final class RunCommand implements Callable<Integer> {

  @Mixin ConfigOptions options;

  @Option(
      names = "--app",
      defaultValue = "all",
      description = "Which topology: ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE}).")
  Apps.Selection app;

  @Override
  public Integer call() throws InterruptedException {
    HindsightConfig config = options.load();
    CountDownLatch stop = new CountDownLatch(1);
    Signals.onTermination(stop::countDown);
    try (HindsightService service =
        HindsightService.start(
            config, (c, registry) -> Apps.create(c, registry, app), Console::announce)) {
      Console.announce("ready: " + service.apps().stream().map(a -> a.name()).toList());
      stop.await();
      Console.announce("stopping");
    }
    return 0;
  }
}
