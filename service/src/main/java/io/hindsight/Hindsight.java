package io.hindsight;

import io.hindsight.cli.DatasetCommand;
import io.hindsight.cli.DemoCommand;
import io.hindsight.cli.EvaluateCommand;
import io.hindsight.cli.ExportCommand;
import io.hindsight.cli.ReplayCommand;
import io.hindsight.cli.RunCommand;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point: {@code hindsight <command>}. */
@Command(
    name = "hindsight",
    mixinStandardHelpOptions = true,
    version = "hindsight 0.1.0",
    description = "Online error compensation and query rewriting for deployed models, on Kafka.",
    subcommands = {
      RunCommand.class,
      DemoCommand.class,
      ReplayCommand.class,
      EvaluateCommand.class,
      DatasetCommand.class,
      ExportCommand.class
    })
public final class Hindsight implements Runnable {

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  public static CommandLine commandLine() {
    CommandLine commandLine = new CommandLine(new Hindsight());
    commandLine.setExecutionExceptionHandler(
        (exception, cmd, parseResult) -> {
          if (exception instanceof ConfigException) {
            cmd.getErr().println("Invalid configuration: " + exception.getMessage());
            return 2;
          }
          throw exception;
        });
    return commandLine;
  }

  @Override
  public void run() {
    CommandLine.usage(this, System.out);
  }
}
