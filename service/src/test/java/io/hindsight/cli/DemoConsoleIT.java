package io.hindsight.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.testing.Directories;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What a user sees of {@code hindsight demo}: a child JVM from the shaded jar, its stdout and
 * stderr captured. The console carries Hindsight's own lines only; the libraries' logs (Kafka's
 * broker and Streams, Jetty, Chronicle) are in the log file whose path the demo printed once.
 */
class DemoConsoleIT {
  /** A logback line, or a logger's name from one of the libraries Hindsight runs. */
  private static final Pattern LOG_LINE =
      Pattern.compile(
          "^\\d{2}:\\d{2}:\\d{2}[.,]\\d{3} |\\b(TRACE|DEBUG|INFO|WARN|ERROR)\\b"
              + "|org\\.apache\\.kafka|o\\.a\\.k\\.|kafka\\.server|org\\.eclipse\\.jetty"
              + "|net\\.openhft|SLF4J|QuorumController|StreamsConfig|NetworkClient");

  private Path workDir;
  private Process process;

  @AfterEach
  void cleanUp() {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
    }
    Directories.delete(workDir);
  }

  @Test
  void shouldPrintOnlyHindsightsOwnLinesAndPutLibraryLogsInTheLogFile() throws Exception {
    workDir = Files.createTempDirectory("hindsight-demo-console");
    Path jar = Path.of("service", "target", "hindsight.jar").toAbsolutePath();
    assertThat(jar).as("the packaged jar (run in failsafe, after package)").exists();
    Path stdout = workDir.resolve("stdout.txt");
    Path stderr = workDir.resolve("stderr.txt");
    process =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx768m",
                "-jar",
                jar.toString(),
                "demo",
                "--duration",
                "10",
                "--rate",
                "500")
            .directory(workDir.toFile())
            .redirectOutput(stdout.toFile())
            .redirectError(stderr.toFile())
            .start();
    assertThat(process.waitFor(180, TimeUnit.SECONDS)).as("the demo ends").isTrue();
    List<String> out = Files.readAllLines(stdout, StandardCharsets.UTF_8);
    List<String> err = Files.readAllLines(stderr, StandardCharsets.UTF_8);
    assertThat(process.exitValue()).as("exit status; stderr: %s", err).isZero();

    assertThat(out).as("stdout").noneMatch(line -> LOG_LINE.matcher(line).find());
    assertThat(err).as("stderr").noneMatch(line -> LOG_LINE.matcher(line).find());
    assertThat(err)
        .as("stderr: Hindsight's own warnings only, one plain line each")
        .allMatch(line -> line.startsWith("warning: ") || line.startsWith("error: "));

    List<String> logLines = out.stream().filter(line -> line.startsWith("logs: ")).toList();
    assertThat(logLines).as("the log file's path, printed once").hasSize(1);
    assertThat(out.get(0)).as("the first line says where the logs go").startsWith("logs: ");
    Path logFile = workDir.resolve(logLines.get(0).substring("logs: ".length()));
    assertThat(Files.readString(logFile))
        .as("the libraries' logs went to the file")
        .contains("o.a.k.");

    assertThat(out)
        .as("the demo's own lines")
        .anyMatch(line -> line.startsWith("  at 0:05 students and commuters start clicking sport"))
        .anyMatch(line -> line.startsWith("summary: "))
        .anyMatch(line -> line.startsWith("compensation beat the base model on AUC and logloss in"))
        .anyMatch(line -> line.startsWith("Hindsight learned that"));
  }
}
