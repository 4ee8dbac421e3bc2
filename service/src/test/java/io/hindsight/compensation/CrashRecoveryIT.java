package io.hindsight.compensation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.hindsight.HindsightService;
import io.hindsight.broker.TopicProvisioner;
import io.hindsight.config.HindsightConfig;
import io.hindsight.config.Topics;
import io.hindsight.testing.Directories;
import io.hindsight.testing.KafkaBroker;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * After a crash or a restart, the error memory equals the memory built from scratch over the same
 * labelled samples: nothing counted twice, nothing lost. The crash is real: the service runs in a
 * child JVM that is killed with SIGKILL while it applies samples.
 */
class CrashRecoveryIT {
  @RegisterExtension static final KafkaBroker kafka = new KafkaBroker();

  private static final int PARTITIONS = 4;
  private static final long WINDOW_MS = 60_000;
  private static final Pattern SAMPLES_GAUGE =
      Pattern.compile("^hindsight_memory_samples\\S*\\s+(\\S+)$", Pattern.MULTILINE);

  private final List<Path> directories = new ArrayList<>();
  private final List<Process> children = new ArrayList<>();
  private HindsightService service;

  @AfterEach
  void cleanUp() {
    children.forEach(Process::destroyForcibly);
    if (service != null) {
      service.close();
    }
    directories.forEach(Directories::delete);
  }

  @Test
  void shouldRebuildAReplicaKilledMidWriteToEqualTheMemoryBuiltFromScratch() throws Exception {
    int predictions = 40_000;
    Path stateDir = temporaryDirectory("hindsight-crash");
    HindsightConfig config = config("crash-kill", stateDir);
    CompensationWorkload workload = workload(config, predictions);
    provisionAndProduce(config, workload);

    ChildService first = ChildService.start(config, stateDir.resolve("first.log"));
    children.add(first.process);
    await("the first instance applying samples")
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> first.samples() > predictions / 4);
    long appliedBeforeKill = first.samples();
    first.process.destroyForcibly();
    assertThat(first.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(appliedBeforeKill)
        .as("killed while samples were being applied")
        .isLessThan(predictions);

    ChildService second = ChildService.start(config, stateDir.resolve("second.log"));
    children.add(second.process);
    await("the restarted instance caught up")
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> second.samples() >= predictions);
    second.stop();
    assertThat(Files.readString(stateDir.resolve("second.log")))
        .as("the unclean replica was detected and rebuilt")
        .contains("cannot be trusted; rebuilding it from Kafka");

    try (ErrorMemoryStore restarted = openReplica(config, stateDir);
        ErrorMemoryStore fromScratch = buildFromScratch(config, predictions)) {
      assertThat(restarted.samples())
          .as("nothing lost, nothing counted twice")
          .isEqualTo(predictions);
      assertThat(restarted.fingerprint()).isEqualTo(fromScratch.fingerprint());
      assertThat(restarted.sameContents(fromScratch)).as("equal bucket for bucket").isTrue();
    }
  }

  @Test
  void shouldReopenACleanReplicaAsItWasAndRebuildOneInterruptedMidWrite() throws Exception {
    int predictions = 10_000;
    Path stateDir = temporaryDirectory("hindsight-restart");
    HindsightConfig config = config("clean-restart", stateDir);
    CompensationWorkload workload = workload(config, predictions);
    provisionAndProduce(config, workload);

    service = startInProcess(config);
    ErrorMemoryStore first = awaitMemory(service);
    await("every sample applied")
        .atMost(Duration.ofMinutes(2))
        .until(() -> first.samples() >= predictions);
    service.close();

    service = startInProcess(config);
    ErrorMemoryStore reopened = awaitMemory(service);
    await("running again").atMost(Duration.ofMinutes(1)).until(service::isReady);
    assertThat(reopened.samples()).as("reopened from its files").isEqualTo(predictions);
    assertThat(reopened.appliedSinceOpen()).as("nothing applied again").isZero();
    service.close();

    // Without Kafka Streams' checkpoint the whole topic is delivered again: every record must be
    // recognised as applied already.
    for (Path checkpoint : ErrorMemoryStore.streamsCheckpoints(globalDirectory(config, stateDir))) {
      Files.deleteIfExists(checkpoint);
    }
    service = startInProcess(config);
    ErrorMemoryStore redelivered = awaitMemory(service);
    await("running again").atMost(Duration.ofMinutes(1)).until(service::isReady);
    assertThat(redelivered.appliedSinceOpen()).as("nothing applied again").isZero();
    assertThat(redelivered.skippedDuplicates()).isGreaterThanOrEqualTo(predictions);
    assertThat(redelivered.samples()).isEqualTo(predictions);
    service.close();

    // A write that never ended, while Kafka Streams' checkpoint says the topic was read to its end:
    // the replica must be rebuilt from the beginning of the topic, not resumed from the checkpoint.
    Path globalDirectory = globalDirectory(config, stateDir);
    assertThat(
            ErrorMemoryStore.streamsCheckpoints(globalDirectory).stream().anyMatch(Files::exists))
        .as("a clean stop leaves a checkpoint")
        .isTrue();
    try (ReplicaManifest manifest =
        ReplicaManifest.open(globalDirectory.resolve(ErrorMemoryStore.NAME).resolve("manifest"))) {
      manifest.beginApply(0, manifest.lastApplied(0) + 1);
    }
    service = startInProcess(config);
    ErrorMemoryStore rebuilt = awaitMemory(service);
    await("the interrupted replica rebuilt")
        .atMost(Duration.ofMinutes(1))
        .until(() -> rebuilt.samples() >= predictions);
    assertThat(rebuilt.appliedSinceOpen()).as("every record applied afresh").isPositive();
    assertThat(rebuilt.skippedDuplicates()).isZero();
    service.close();
    service = null;

    try (ErrorMemoryStore restarted = openReplica(config, stateDir);
        ErrorMemoryStore fromScratch = buildFromScratch(config, predictions)) {
      assertThat(restarted.samples()).isEqualTo(predictions);
      assertThat(restarted.sameContents(fromScratch)).as("equal bucket for bucket").isTrue();
    }
  }

  private Path temporaryDirectory(String prefix) throws Exception {
    Path directory = Files.createTempDirectory(prefix);
    directories.add(directory);
    return directory;
  }

  private static HindsightConfig config(String name, Path stateDir) throws Exception {
    return HindsightConfig.load(
        null,
        Map.of(),
        Map.of(
            HindsightConfig.BOOTSTRAP_SERVERS,
            kafka.bootstrapServers(),
            HindsightConfig.STATE_DIR,
            stateDir.resolve("state").toString(),
            HindsightConfig.APPLICATION_ID,
            name,
            HindsightConfig.TOPIC_PREFIX,
            name + ".",
            HindsightConfig.TOPIC_PARTITIONS,
            Integer.toString(PARTITIONS),
            HindsightConfig.PROCESSING_GUARANTEE,
            HindsightConfig.EXACTLY_ONCE_V2,
            HindsightConfig.COMPENSATION_ATTRIBUTION_WINDOW_MS,
            Long.toString(WINDOW_MS),
            // A killed member leaves the group after 6 s instead of 45.
            HindsightConfig.KAFKA_PREFIX + "session.timeout.ms",
            "6000",
            HindsightConfig.KAFKA_PREFIX + "heartbeat.interval.ms",
            "1000"));
  }

  private static CompensationWorkload workload(HindsightConfig config, int predictions) {
    return new CompensationWorkload(
        Topics.from(config),
        predictions,
        new int[] {32},
        System.currentTimeMillis() - Duration.ofDays(1).toMillis(),
        20,
        11);
  }

  private static void provisionAndProduce(HindsightConfig config, CompensationWorkload workload) {
    Topics topics = Topics.from(config);
    try (Admin admin =
        Admin.create(
            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      new TopicProvisioner(config, topics).provision(admin);
    }
    TestTopics.produce(kafka.bootstrapServers(), workload.records(0, workload.predictions()));
    TestTopics.produce(
        kafka.bootstrapServers(), workload.streamTimeAdvance(PARTITIONS, 3 * WINDOW_MS));
  }

  private static HindsightService startInProcess(HindsightConfig config) {
    return HindsightService.start(
        config, (c, registry) -> List.of(new CompensationApp(c, registry)), line -> {});
  }

  private static ErrorMemoryStore awaitMemory(HindsightService service) {
    CompensationApp app = (CompensationApp) service.apps().get(0);
    await("memory replica open")
        .atMost(Duration.ofMinutes(1))
        .until(() -> app.memory().isPresent());
    return app.memory().orElseThrow();
  }

  private static Path globalDirectory(HindsightConfig config, Path stateDir) {
    return stateDir
        .resolve("state")
        .resolve(config.getString(HindsightConfig.APPLICATION_ID) + "-" + CompensationApp.NAME)
        .resolve("global");
  }

  /** The replica a stopped instance left in its state directory. */
  private static ErrorMemoryStore openReplica(HindsightConfig config, Path stateDir) {
    ErrorMemoryStore store = new ErrorMemoryStore(CompensationSettings.from(config));
    store.open(globalDirectory(config, stateDir).resolve(ErrorMemoryStore.NAME));
    return store;
  }

  private static boolean isLabelledSample(byte[] value) {
    return !ReplicaProgress.isEncoded(value)
        && !Sample.isLateFeatures(value)
        && Sample.decode(value).labelled();
  }

  /** Every committed labelled sample applied once to a fresh memory. */
  private ErrorMemoryStore buildFromScratch(HindsightConfig config, int predictions)
      throws Exception {
    List<ConsumerRecord<byte[], byte[]>> records =
        TestTopics.readCommitted(
            kafka.bootstrapServers(),
            Topics.from(config).labelledSamples().name(),
            predictions,
            Duration.ofMinutes(1),
            record -> isLabelledSample(record.value()));
    ErrorMemoryStore store = new ErrorMemoryStore(CompensationSettings.from(config));
    store.open(temporaryDirectory("hindsight-scratch"));
    // Every record, as a replica applies it: samples, the tasks' progress, late features.
    for (ConsumerRecord<byte[], byte[]> record : records) {
      store.applyRecord(
          record.partition(),
          record.offset(),
          record.key(),
          record.value(),
          record.timestamp(),
          record.headers().lastHeader("hindsight.features.pending") != null);
    }
    assertThat(store.samples()).isEqualTo(predictions);
    return store;
  }

  /** {@code hindsight run --app compensation} in a child JVM, from the packaged jar. */
  private record ChildService(Process process, CompletableFuture<Integer> httpPort) {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    static ChildService start(HindsightConfig config, Path log) throws Exception {
      Path classes =
          Path.of(
              CompensationApp.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      Path jar = classes.resolveSibling("hindsight.jar");
      assertThat(jar).as("the packaged jar (run in failsafe, after package)").exists();
      List<String> command =
          new ArrayList<>(
              List.of(
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "-Xmx768m",
                  "-jar",
                  jar.toString(),
                  "run",
                  "--app",
                  "compensation",
                  "--bootstrap-servers",
                  kafka.bootstrapServers()));
      for (String key :
          List.of(
              HindsightConfig.STATE_DIR,
              HindsightConfig.APPLICATION_ID,
              HindsightConfig.TOPIC_PREFIX,
              HindsightConfig.TOPIC_PARTITIONS,
              HindsightConfig.PROCESSING_GUARANTEE,
              HindsightConfig.COMPENSATION_ATTRIBUTION_WINDOW_MS)) {
        command.add("--set");
        command.add(key + "=" + config.originals().get(key));
      }
      config
          .kafkaOverrides()
          .forEach(
              (key, value) -> {
                command.add("--set");
                command.add(HindsightConfig.KAFKA_PREFIX + key + "=" + value);
              });
      Process process =
          new ProcessBuilder(command)
              .redirectError(ProcessBuilder.Redirect.to(log.toFile()))
              .start();
      CompletableFuture<Integer> port = new CompletableFuture<>();
      Thread reader =
          new Thread(
              () -> {
                try (BufferedReader out =
                    new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                  Pattern http = Pattern.compile("^http: .*:(\\d+)$");
                  for (String line = out.readLine(); line != null; line = out.readLine()) {
                    Matcher matcher = http.matcher(line);
                    if (matcher.matches()) {
                      port.complete(Integer.parseInt(matcher.group(1)));
                    }
                  }
                } catch (Exception e) {
                  port.completeExceptionally(e);
                }
              },
              "child-stdout");
      reader.setDaemon(true);
      reader.start();
      return new ChildService(process, port);
    }

    /** The child's memory sample count from its metrics endpoint; 0 until it answers. */
    long samples() {
      if (!httpPort.isDone() || !process.isAlive()) {
        return 0;
      }
      try {
        String metrics =
            HTTP.send(
                    HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + httpPort.join() + "/metrics"))
                        .timeout(Duration.ofSeconds(5))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body();
        Matcher matcher = SAMPLES_GAUGE.matcher(metrics);
        return matcher.find() ? (long) Double.parseDouble(matcher.group(1)) : 0;
      } catch (Exception e) {
        return 0;
      }
    }

    /** SIGTERM: the service closes its stores cleanly. */
    void stop() throws InterruptedException {
      process.destroy();
      assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("stopped within a minute").isTrue();
    }
  }
}
