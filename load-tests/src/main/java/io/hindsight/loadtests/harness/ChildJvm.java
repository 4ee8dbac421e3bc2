package io.hindsight.loadtests.harness;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A Java process the harness started (the broker, the service, the pass-through), so that the
 * generator, the broker and the service never share a heap. Its stderr and stdout go to a log file;
 * lines {@code name: value} on stdout (Hindsight's {@code broker:} and {@code http:} announcements)
 * are kept. {@link #close()} sends SIGTERM, then kills after a grace period.
 */
final class ChildJvm implements AutoCloseable {
  /** The flags Chronicle Map needs on Java 17 (the service pom's {@code chronicle.jvm.flags}). */
  static final List<String> CHRONICLE_FLAGS =
      List.of(
          "-Dchronicle.analytics.disable=true",
          "-Dchronicle.announcer.disable=true",
          "--add-opens=java.base/java.lang=ALL-UNNAMED",
          "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
          "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
          "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED",
          "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED");

  private final String name;
  private final Process process;
  private final Path log;
  private final Map<String, String> announced = new ConcurrentHashMap<>();

  private ChildJvm(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
    Thread reader = new Thread(this::readStdout, name + "-stdout");
    reader.setDaemon(true);
    reader.start();
  }

  static ChildJvm start(
      String name,
      List<String> jvmArgs,
      String classpath,
      String mainClass,
      List<String> args,
      Path logDir) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmArgs);
    command.add("-cp");
    command.add(classpath);
    command.add(mainClass);
    command.addAll(args);
    try {
      Files.createDirectories(logDir);
      Path log = logDir.resolve(name + ".log");
      Files.writeString(log, String.join(" ", command) + System.lineSeparator());
      Process process =
          new ProcessBuilder(command)
              .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .start();
      return new ChildJvm(name, process, log);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot start " + name, e);
    }
  }

  private void readStdout() {
    try (BufferedReader reader =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = reader.readLine()) != null) {
        int colon = line.indexOf(": ");
        if (colon > 0) {
          announced.putIfAbsent(line.substring(0, colon), line.substring(colon + 2).trim());
        }
        Files.writeString(
            log,
            "[stdout] " + line + System.lineSeparator(),
            java.nio.file.StandardOpenOption.APPEND);
      }
    } catch (IOException e) {
      // the process ended; its exit is reported by await()
    }
  }

  /** Waits for the process to announce {@code name: value} and returns the value. */
  String await(String announcement, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      String value = announced.get(announcement);
      if (value != null) {
        return value;
      }
      if (!process.isAlive()) {
        throw new IllegalStateException(
            name
                + " exited with "
                + process.exitValue()
                + " before announcing '"
                + announcement
                + "'; see "
                + log);
      }
      // Polled: the announcement comes from the reader thread and the exit from the process, and
      // a 50 ms check is far below a JVM's start-up time.
      Thread.sleep(50);
    }
    throw new IllegalStateException(name + " did not announce '" + announcement + "'; see " + log);
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** The exit status, or -1 while it runs. */
  int exitStatus() {
    return process.isAlive() ? -1 : process.exitValue();
  }

  /** SIGKILL: no shutdown hook runs, nothing is flushed or committed; waits until it is gone. */
  void kill() throws InterruptedException {
    process.destroyForcibly().waitFor();
  }

  /** Sends a signal: STOP freezes it (sockets open, timers stopped), CONT resumes, QUIT dumps threads. */
  void signal(String name) throws InterruptedException {
    try {
      int status =
          new ProcessBuilder("kill", "-" + name, Long.toString(process.pid()))
              .inheritIO()
              .start()
              .waitFor();
      if (status != 0) {
        throw new IllegalStateException("kill -" + name + " " + process.pid() + ": " + status);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Resident set size from /proc (Linux); -1 elsewhere. */
  long residentBytes() {
    try {
      for (String line :
          Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }

  Path log() {
    return log;
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
