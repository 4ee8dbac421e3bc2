package io.hindsight.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hindsight.testing.Directories;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code hindsight run} as a user runs it: a child JVM from the shaded jar on the embedded broker,
 * reached by an independent client (kcat), stopped with SIGTERM.
 */
class RunCommandIT {
  private Path workDir;
  private Process process;

  @BeforeEach
  void createWorkDir() throws IOException {
    workDir = Files.createTempDirectory("hindsight-run");
  }

  @AfterEach
  void cleanUp() {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
    }
    Directories.delete(workDir);
  }

  @Test
  void shouldServeAnIndependentClientAndStopCleanlyOnSigterm() throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    Path jar = Path.of("service", "target", "hindsight.jar").toAbsolutePath();
    process =
        new ProcessBuilder(
                java,
                "-Dchronicle.analytics.disable=true",
                "-Dchronicle.announcer.disable=true",
                "-jar",
                jar.toString(),
                "run",
                "--app",
                "compensation")
            .directory(workDir.toFile())
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader out =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                out.lines().forEach(lines::add);
              } catch (IOException ignored) {
                // the process ended
              }
            });
    reader.setDaemon(true);
    reader.start();

    String broker = null;
    String http = null;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while ((broker == null || http == null) && System.nanoTime() < deadline) {
      String line = lines.poll(1, TimeUnit.SECONDS);
      if (line != null && line.startsWith("broker: ")) {
        broker = line.substring("broker: ".length());
      } else if (line != null && line.startsWith("http: ")) {
        http = line.substring("http: ".length());
      }
    }
    assertThat(broker).as("the broker: line").matches("127\\.0\\.0\\.1:\\d+");

    String produced = "hello from kcat " + System.nanoTime();
    Process produce =
        new ProcessBuilder("kcat", "-P", "-b", broker, "-t", "predictions", "-k", "kcat-key")
            .redirectErrorStream(true)
            .start();
    produce.getOutputStream().write((produced + "\n").getBytes(StandardCharsets.UTF_8));
    produce.getOutputStream().close();
    assertThat(produce.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(produce.exitValue()).isZero();
    Process consume =
        new ProcessBuilder(
                "kcat",
                "-C",
                "-b",
                broker,
                "-t",
                "predictions",
                "-o",
                "beginning",
                "-c",
                "1",
                "-e",
                "-f",
                "%k=%s\\n")
            .start();
    assertThat(consume.waitFor(30, TimeUnit.SECONDS)).isTrue();
    String consumed = new String(consume.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(consumed).contains("kcat-key=" + produced);

    int brokerPort = Integer.parseInt(broker.substring(broker.indexOf(':') + 1));
    int httpPort = Integer.parseInt(http.substring(http.indexOf(':') + 1));
    process.destroy(); // SIGTERM
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("stopped within 60 s").isTrue();
    assertThat(process.exitValue()).isZero();
    assertThat(process.descendants().count()).isZero();
    for (int port : List.of(brokerPort, httpPort)) {
      assertThatThrownBy(() -> new Socket("127.0.0.1", port).close())
          .as("port %d closed", port)
          .isInstanceOf(IOException.class);
    }
    try (Stream<Path> written = Files.list(workDir)) {
      assertThat(written.map(p -> p.getFileName().toString()))
          .as("nothing written outside the data directory")
          .containsExactly("data");
    }
  }
}
