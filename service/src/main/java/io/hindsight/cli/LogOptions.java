package io.hindsight.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.filter.ThresholdFilter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.FileAppender;
import io.hindsight.config.HindsightConfig;
import java.nio.file.Path;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Option;

/**
 * Where a command's logs go. By default the console carries Hindsight's own lines only: every log
 * (Kafka's, Jetty's, Chronicle's and Hindsight's) goes to {@code DATA_DIR/logs/hindsight.log}, and
 * Hindsight's own warnings and errors are also printed on stderr as one plain line each. With
 * {@code --verbose} logs stay on stderr, as {@code logback.xml} configures them.
 */
public final class LogOptions {
  static final String LOG_FILE = "logs/hindsight.log";
  private static final String FILE_PATTERN =
      "%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level [%thread] %logger{36} - %msg%n";
  // One line, no stack trace (the file has it): "warning: ..." or "error: ...".
  private static final String CONSOLE_PATTERN =
      "%replace(%replace(%level){'WARN','warning'}){'ERROR','error'}: %msg%n%nopex";

  @Option(
      names = "--verbose",
      description = "Print library and Hindsight logs on stderr instead of DATA_DIR/" + LOG_FILE)
  boolean verbose;

  /**
   * Routes logs for a command using {@code config}'s data directory and says once where they go;
   * does nothing with {@code --verbose}.
   */
  void route(HindsightConfig config) {
    if (verbose) {
      return;
    }
    Path file = Path.of(config.getString(HindsightConfig.DATA_DIR)).resolve(LOG_FILE);
    toFile(file);
    Console.announce("logs: " + file);
  }

  static void toFile(Path file) {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.detachAndStopAllAppenders();

    PatternLayoutEncoder fileEncoder = encoder(context, FILE_PATTERN);
    FileAppender<ILoggingEvent> toFile = new FileAppender<>();
    toFile.setContext(context);
    toFile.setName("FILE");
    toFile.setFile(file.toString());
    toFile.setAppend(true);
    toFile.setEncoder(fileEncoder);
    toFile.start();
    root.addAppender(toFile);

    ThresholdFilter warnings = new ThresholdFilter();
    warnings.setLevel(Level.WARN.levelStr);
    warnings.start();
    ConsoleAppender<ILoggingEvent> toConsole = new ConsoleAppender<>();
    toConsole.setContext(context);
    toConsole.setName("HINDSIGHT-WARNINGS");
    toConsole.setTarget("System.err");
    toConsole.setEncoder(encoder(context, CONSOLE_PATTERN));
    toConsole.addFilter(warnings);
    toConsole.start();
    context.getLogger("io.hindsight").addAppender(toConsole);
  }

  private static PatternLayoutEncoder encoder(LoggerContext context, String pattern) {
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern(pattern);
    encoder.start();
    return encoder;
  }
}
