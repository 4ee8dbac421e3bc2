package io.hindsight.loadtests.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * One topology under load in a child JVM: Hindsight itself ({@code hindsight run}) or the
 * pass-through baseline, on the given broker, with its own topic prefix and state directory.
 */
final class ServiceUnderTest implements AutoCloseable {
  /** What runs: the service, or the baseline that copies predictions through unchanged. */
  enum Kind {
    HINDSIGHT("hindsight"),
    PASS_THROUGH("pass-through");

    final String label;

    Kind(String label) {
      this.label = label;
    }
  }

  final Kind kind;
  final String prefix;
  final String http;
  private final ChildJvm jvm;
  private final Path stateDir;
  private double maxHeapUsed;
  private long maxResident;

  private ServiceUnderTest(Kind kind, String prefix, String http, ChildJvm jvm, Path stateDir) {
    this.kind = kind;
    this.prefix = prefix;
    this.http = http;
    this.jvm = jvm;
    this.stateDir = stateDir;
  }

  static ServiceUnderTest start(
      Kind kind,
      String bootstrapServers,
      String prefix,
      Scenario scenario,
      boolean withRewrites,
      Classpaths classpaths,
      Path workDir)
      throws InterruptedException {
    return start(
        kind,
        kind.label,
        workDir.resolve(prefix + "state"),
        bootstrapServers,
        prefix,
        scenario,
        withRewrites,
        classpaths,
        workDir);
  }

  /**
   * One instance of an application (several share {@code prefix}, hence the application id and
   * the work), with its own state directory; {@code name} names its log, so that a restarted
   * instance keeps its state but not its predecessor's log.
   */
  static ServiceUnderTest start(
      Kind kind,
      String name,
      Path stateDir,
      String bootstrapServers,
      String prefix,
      Scenario scenario,
      boolean withRewrites,
      Classpaths classpaths,
      Path workDir)
      throws InterruptedException {
    Map<String, String> settings = new LinkedHashMap<>(scenario.settings());
    settings.put("topic.prefix", prefix);
    settings.put("application.id", prefix + "app");
    settings.put("state.dir", stateDir.toString());
    settings.put("http.port", "0");
    List<String> args = new ArrayList<>();
    String main;
    String classpath;
    if (kind == Kind.HINDSIGHT) {
      main = "io.hindsight.Hindsight";
      classpath = classpaths.service();
      args.addAll(
          List.of(
              "run",
              "--bootstrap-servers",
              bootstrapServers,
              "--app",
              withRewrites ? "all" : "compensation"));
    } else {
      main = PassThroughMain.class.getName();
      classpath = classpaths.serviceThenHarness();
      settings.put("bootstrap.servers", bootstrapServers);
    }
    settings.forEach(
        (k, v) -> {
          args.add("--set");
          args.add(k + "=" + v);
        });
    List<String> jvmArgs = new ArrayList<>(ChildJvm.CHRONICLE_FLAGS);
    jvmArgs.add("-Xmx" + scenario.serviceHeap());
    jvmArgs.add("-Xms" + scenario.serviceHeap());
    // The heap's pages are touched at start, not by the collector copying into them under load:
    // on this guest, first touches during young pauses cost 2-4.5 s of kernel time per run.
    jvmArgs.add("-XX:+AlwaysPreTouch");
    jvmArgs.addAll(scenario.jvmOptionList());
    ChildJvm jvm = ChildJvm.start(name, jvmArgs, classpath, main, args, workDir);
    try {
      String http = jvm.await("http", Duration.ofMinutes(3));
      ServiceUnderTest service = new ServiceUnderTest(kind, prefix, http, jvm, stateDir);
      service.awaitReady(Duration.ofMinutes(3));
      return service;
    } catch (RuntimeException | InterruptedException e) {
      jvm.close();
      throw e;
    }
  }

  /** Waits until {@code /health/ready} answers 200; fails if the process exits first. */
  void awaitReady(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!PrometheusText.ready(http)) {
      if (System.nanoTime() > deadline || !jvm.isAlive()) {
        throw new IllegalStateException(kind.label + " never became ready; see " + jvm.log());
      }
      // The service only answers readiness over HTTP; a few polls a second suffice for a
      // start-up of seconds.
      Thread.sleep(200);
    }
  }

  boolean isReady() {
    return jvm.isAlive() && PrometheusText.ready(http);
  }

  ChildJvm jvm() {
    return jvm;
  }

  Path stateDir() {
    return stateDir;
  }

  /** Scrapes once, keeping the largest heap and resident size seen (the progress line calls it). */
  PrometheusText sample() {
    PrometheusText metrics = PrometheusText.scrape(http);
    maxHeapUsed = Math.max(maxHeapUsed, metrics.sum("jvm_memory_used_bytes", "area=\"heap\""));
    maxResident = Math.max(maxResident, jvm.residentBytes());
    return metrics;
  }

  /** Memory figures at the end of a run: from /metrics, /proc and the state directory. */
  Map<String, Object> memory(Scenario scenario) {
    PrometheusText m = sample();
    Map<String, Object> memory = new LinkedHashMap<>();
    memory.put("xmx", scenario.serviceHeap());
    memory.put("heap_used_bytes", (long) m.sum("jvm_memory_used_bytes", "area=\"heap\""));
    memory.put("heap_used_max_bytes", (long) maxHeapUsed);
    memory.put("heap_committed_bytes", (long) m.sum("jvm_memory_committed_bytes", "area=\"heap\""));
    memory.put("nonheap_used_bytes", (long) m.sum("jvm_memory_used_bytes", "area=\"nonheap\""));
    memory.put(
        "direct_buffer_bytes", (long) m.sum("jvm_buffer_memory_used_bytes", "id=\"direct\""));
    memory.put(
        "mapped_buffer_bytes", (long) m.sum("jvm_buffer_memory_used_bytes", "id=\"mapped\""));
    memory.put("resident_bytes", jvm.residentBytes());
    memory.put("resident_max_bytes", maxResident);
    memory.put("state_dir_bytes", directoryBytes(stateDir));
    return memory;
  }

  double deadLetterMetric() {
    return PrometheusText.scrape(http).sum("hindsight_dlq_records_total", "");
  }

  Path log() {
    return jvm.log();
  }

  private static long directoryBytes(Path dir) {
    if (!Files.exists(dir)) {
      return 0;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(ServiceUnderTest::size).sum();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static long size(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      return 0;
    }
  }

  @Override
  public void close() {
    jvm.close();
  }

  /** Where the child JVMs find their classes. */
  record Classpaths(String service, String harness) {
    String serviceThenHarness() {
      return service + java.io.File.pathSeparator + harness;
    }
  }
}
