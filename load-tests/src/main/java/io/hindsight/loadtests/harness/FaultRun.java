package io.hindsight.loadtests.harness;

import io.hindsight.config.Topics;
import io.hindsight.events.EventCodec;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutionException;
import java.util.function.BooleanSupplier;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupListing;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The fault-injection run, after Kafka's streams EOS system test: the broker and two Hindsight
 * instances in child JVMs, known traffic at a steady rate, and the faults of a {@link FaultPlan}
 * injected one at a time, each after the previous one recovered. The harness is the instances'
 * supervisor too: an instance that exits by itself is restarted (and the exit recorded). After the
 * last fault, traffic goes on for a quiet period, stops, the service drains, both replicas' rule
 * sets are compared, the instances stop, and {@link ExactVerifier} and {@link ReplicaCheckMain}
 * check every committed output.
 *
 * <p>Recovery of a fault: {@code ready} when the process it hit is back (an instance answers ready,
 * the broker announces itself); {@code recovered} when, on top of that, every prediction sent before
 * that moment has its compensation, so the outputs have caught up with the fault.
 */
final class FaultRun {
  private static final Duration RECOVERY_TIMEOUT = Duration.ofMinutes(4);

  /**
   * What Kafka 4.4.0's transaction coordinator logs when it drops the commit markers of partitions
   * whose leader is not known (KAFKA-20734, apache/kafka#22680). A single broker restarted after a
   * SIGKILL with a transaction in PrepareCommit does this. The writes on those partitions are then
   * aborted, although their transaction committed with its input offsets: no application can
   * account for every record, so a run with losses where the broker logged this is void.
   */
  static final String SKIPPED_MARKERS = "Couldn't find leader endpoint for partitions";

  /** How long outputs may lag a broker fault where Kafka dropped markers before the run is void. */
  private static final Duration VOID_AFTER = Duration.ofSeconds(60);
  private static final String[] NAMES = {"a", "b"};
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final Scenario scenario;
  private final FaultPlan plan;
  private final int quietSeconds;
  private final ServiceUnderTest.Classpaths classpaths;
  private final Path workDir;
  private final PrintStream out;
  private final LoadClock clock = new LoadClock();
  private final String prefix;
  private final ServiceUnderTest[] instances = new ServiceUnderTest[NAMES.length];
  private final int[] launches = new int[NAMES.length];
  private final List<Map<String, Object>> selfExits = new ArrayList<>();
  private final NavigableMap<Long, String> faultsByTime = new ConcurrentSkipListMap<>();
  private ChildJvm broker;
  private int brokerLaunches;
  private String bootstrap;
  private int brokerPort;
  private OutputObserver observer;
  private LoadGenerator generator;
  private Instant started;

  FaultRun(
      Scenario scenario,
      FaultPlan plan,
      int quietSeconds,
      ServiceUnderTest.Classpaths classpaths,
      Path workDir,
      PrintStream out) {
    this.scenario = scenario;
    this.plan = plan;
    this.quietSeconds = quietSeconds;
    this.classpaths = classpaths;
    this.workDir = workDir;
    this.out = out;
    this.prefix = scenario.name() + "-" + System.currentTimeMillis() / 1000 + ".";
  }

  /** Runs the plan and verifies; {@code result} receives every figure, {@code failures} any loss. */
  void run(Map<String, Object> result, List<String> failures) throws Exception {
    started = Instant.now();
    result.put("fault_plan", planFigures());
    List<Map<String, Object>> faults = new ArrayList<>();
    try {
      startBroker();
      out.printf("faults: broker %s, work directory %s%n", bootstrap, workDir);
      startInstancesTogether();
      Topics topics =
          Topics.withPrefix(
              prefix, new EventCodec(1 << 20, Long.MAX_VALUE / 4, System::currentTimeMillis));
      try (Producer<byte[], byte[]> producer = producer();
          Admin admin =
              Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
        observer = new OutputObserver(bootstrap, topics, clock, new Probes(1));
        Thread observerThread = new Thread(observer, "observer");
        observerThread.setDaemon(true);
        observerThread.start();
        generator = new LoadGenerator(scenario, topics, producer, clock, new Probes(1), plan.seed());
        long trafficStart = clock.nanos() + 100_000_000L;
        // Runs until stopped: the traffic lasts as long as the faults need, at least the scenario's.
        Scenario endless = scenario.with(Map.of(), Integer.MAX_VALUE / 2, null);
        Thread traffic =
            new Thread(
                () -> generator.run(endless, trafficStart, new Window(0, 0), false), "traffic");
        traffic.start();
        int number = 0;
        for (FaultPlan.Planned fault : plan.faults()) {
          number++;
          supervise(fault.gapMs());
          faults.add(inject(number, fault, admin, topics));
        }
        long minimumEnd = trafficStart + scenario.durationS() * 1_000_000_000L;
        supervise(Math.max(quietSeconds * 1000L, (minimumEnd - clock.nanos()) / 1_000_000L));
        long trafficStopped = clock.nanos();
        generator.stopAt(trafficStopped);
        traffic.join();
        producer.flush();
        result.put("traffic", trafficFigures(trafficStart));
        out.printf("faults: traffic stopped; draining%n");
        awaitCondition(
            "every compensation out",
            () -> observer.compensations.get() >= generator.predictions.get(),
            Duration.ofMinutes(3));
        awaitSettledMemories(admin, topics, trafficStopped);
        result.put("rules", compareRules(topics, failures));
        for (int i = 0; i < instances.length; i++) {
          instances[i].close();
        }
        observer.stop();
        ExactVerifier verifier =
            new ExactVerifier(bootstrap, topics, closeAfterMs(), faultsByTime);
        result.put(
            "verification",
            verifier.verify(
                new ExactVerifier.Sent(
                    generator.predictions.get(),
                    generator.outcomeIds,
                    generator.bad.get(),
                    generator.sendFailures.get())));
        failures.addAll(verifier.failures());
        result.put("memory_replicas", compareReplicas(failures));
      }
    } catch (Exception e) {
      recordStall();
      throw e;
    } finally {
      result.put("faults", faults);
      result.put("supervisor_restarts", selfExits);
      result.put(
          "hanging_transactions_aborted",
          linesInLogs("hindsight-*.log", "Aborted a hanging transaction"));
      result.put("broker_skipped_commit_markers", linesInLogs("broker.*.log", SKIPPED_MARKERS));
      result.put("fault_summary", summary(faults));
      for (ServiceUnderTest instance : instances) {
        if (instance != null) {
          instance.close();
        }
      }
      if (broker != null) {
        broker.close();
      }
    }
  }

  private static boolean logContains(Path log, String text) {
    try {
      return Files.readString(log, StandardCharsets.ISO_8859_1).contains(text);
    } catch (IOException e) {
      return false;
    }
  }

  /** Lines of the work directory's logs matching {@code glob} that contain {@code text}. */
  private long linesInLogs(String glob, String text) {
    try (var logs = Files.newDirectoryStream(workDir, glob)) {
      long count = 0;
      for (Path log : logs) {
        try (var lines = Files.lines(log, StandardCharsets.ISO_8859_1)) {
          count += lines.filter(line -> line.contains(text)).count();
        }
      }
      return count;
    } catch (IOException e) {
      return -1;
    }
  }

  /**
   * A run that cannot finish leaves what it waits on: every live child's thread dump in its log, the
   * broker's open transactions in {@code transactions.txt}.
   */
  private void recordStall() throws InterruptedException {
    List<ChildJvm> dumped = new ArrayList<>();
    for (ServiceUnderTest instance : instances) {
      if (instance != null && instance.jvm().isAlive()) {
        dumped.add(instance.jvm());
      }
    }
    if (broker != null && broker.isAlive()) {
      dumped.add(broker);
    }
    for (ChildJvm jvm : dumped) {
      jvm.signal("QUIT");
    }
    try {
      awaitCondition(
          "every thread dump in its log",
          () -> dumped.stream().allMatch(jvm -> logContains(jvm.log(), "Full thread dump")),
          Duration.ofSeconds(10));
    } catch (IllegalStateException e) {
      out.printf("faults: %s%n", e.getMessage());
    }
    if (broker != null && broker.isAlive()) {
      try {
        Files.writeString(workDir.resolve("transactions.txt"), OpenTransactions.describe(bootstrap));
      } catch (IOException e) {
        out.printf("faults: cannot write the open transactions: %s%n", e);
      }
    }
  }

  private Map<String, Object> inject(
      int number, FaultPlan.Planned fault, Admin admin, Topics topics) throws Exception {
    int target = fault.instance();
    Map<String, Object> record = new LinkedHashMap<>();
    record.put("number", number);
    record.put("kind", fault.kind().key);
    long at = System.currentTimeMillis();
    long injected = clock.nanos();
    record.put("at_s", Duration.between(started, Instant.now()).toSeconds());
    String label = "#" + number + " " + fault.kind().key;
    switch (fault.kind()) {
      case INSTANCE_SIGKILL -> {
        label += " " + NAMES[target];
        instances[target].jvm().kill();
        faultsByTime.put(at, label);
        launch(target);
      }
      case INSTANCE_RESTART -> {
        label += " " + NAMES[target];
        faultsByTime.put(at, label);
        instances[target].close();
        launch(target);
      }
      case INSTANCE_PAUSE -> {
        label += " " + NAMES[target];
        faultsByTime.put(at, label);
        instances[target].jvm().signal("STOP");
        // The fault itself: the instance stays stopped past its session timeout.
        Thread.sleep(pauseMs());
        instances[target].jvm().signal("CONT");
        record.put("paused_ms", pauseMs());
        instances[target].awaitReady(RECOVERY_TIMEOUT);
      }
      case BROKER_SIGKILL -> {
        faultsByTime.put(at, label);
        broker.kill();
        startBroker();
      }
      case RECORDS_DELETED -> {
        faultsByTime.put(at, label);
        String topic =
            List.of(topics.predictions(), topics.outcomes(), topics.interactions())
                .get(fault.topic())
                .name();
        record.put("topic", topic);
        record.put("records_deleted", deleteBelowCommitted(admin, topic));
      }
    }
    if (fault.kind() != FaultPlan.Kind.BROKER_SIGKILL
        && fault.kind() != FaultPlan.Kind.RECORDS_DELETED) {
      record.put("instance", NAMES[target]);
    }
    long ready = clock.nanos();
    long sentBeforeReady = generator.predictions.get();
    boolean brokerFault = fault.kind() == FaultPlan.Kind.BROKER_SIGKILL;
    awaitCondition(
        "outputs caught up after fault " + label,
        () -> {
          superviseOnce();
          if (brokerFault
              && clock.nanos() - ready > VOID_AFTER.toNanos()
              && logContains(broker.log(), SKIPPED_MARKERS)) {
            throw new IllegalStateException(
                "outputs not caught up "
                    + VOID_AFTER.toSeconds()
                    + " s after fault #"
                    + number
                    + " broker, and the restarted broker dropped committed markers ("
                    + broker.log().getFileName()
                    + ")");
          }
          return observer.compensatedPrefix >= sentBeforeReady;
        },
        RECOVERY_TIMEOUT);
    long recovered = clock.nanos();
    record.put("ready_ms", (ready - injected) / 1_000_000);
    record.put("recovered_ms", (recovered - injected) / 1_000_000);
    out.printf("faults: %s%n", record);
    return record;
  }

  /** SIGSTOP lasts the session timeout and 3 s more: long enough for the group to evict it. */
  private long pauseMs() {
    return Long.parseLong(scenario.settings().getOrDefault("kafka.session.timeout.ms", "45000"))
        + 3000;
  }

  /**
   * Deletes, per partition, the records below the lowest offset any of this run's groups has
   * committed: records every reader has consumed, so nothing unread goes, but any instance that
   * later resolves an offset or restores from there finds the log start moved.
   */
  private long deleteBelowCommitted(Admin admin, String topic) throws Exception {
    Map<TopicPartition, Long> lowest = new HashMap<>();
    for (ConsumerGroupListing group : admin.listConsumerGroups().all().get()) {
      if (!group.groupId().startsWith(prefix)) {
        continue;
      }
      Map<TopicPartition, OffsetAndMetadata> offsets =
          admin.listConsumerGroupOffsets(group.groupId()).partitionsToOffsetAndMetadata().get();
      offsets.forEach(
          (partition, offset) -> {
            if (partition.topic().equals(topic) && offset != null) {
              lowest.merge(partition, offset.offset(), Math::min);
            }
          });
    }
    Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
    lowest.keySet().forEach(p -> earliest.put(p, OffsetSpec.earliest()));
    Map<TopicPartition, Long> start = new HashMap<>();
    admin
        .listOffsets(earliest)
        .all()
        .get()
        .forEach((p, info) -> start.put(p, info.offset()));
    Map<TopicPartition, RecordsToDelete> deletions = new HashMap<>();
    long deleted = 0;
    for (Map.Entry<TopicPartition, Long> e : lowest.entrySet()) {
      deleted += Math.max(0, e.getValue() - start.get(e.getKey()));
      deletions.put(e.getKey(), RecordsToDelete.beforeOffset(e.getValue()));
    }
    admin.deleteRecords(deletions).all().get();
    return deleted;
  }

  /** Waits {@code millis}, restarting any instance that exits by itself meanwhile. */
  private void supervise(long millis) throws InterruptedException {
    long end = System.nanoTime() + millis * 1_000_000L;
    while (System.nanoTime() < end) {
      superviseOnce();
      // A supervisor's poll: an exit is noticed within a fraction of a second.
      Thread.sleep(Math.min(200, Math.max(1, (end - System.nanoTime()) / 1_000_000L)));
    }
  }

  private void superviseOnce() {
    for (int i = 0; i < instances.length; i++) {
      ChildJvm jvm = instances[i].jvm();
      if (!jvm.isAlive()) {
        Map<String, Object> exit = new LinkedHashMap<>();
        exit.put("instance", NAMES[i]);
        exit.put("exit_status", jvm.exitStatus());
        exit.put("at_s", Duration.between(started, Instant.now()).toSeconds());
        exit.put("log", jvm.log().toString());
        selfExits.add(exit);
        out.printf("faults: instance %s exited by itself (%s); restarting it%n", NAMES[i], exit);
        try {
          launch(i);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(e);
        }
      }
    }
  }

  private void startBroker() throws InterruptedException {
    List<String> jvmArgs = new ArrayList<>(List.of("-Xmx1g"));
    jvmArgs.addAll(scenario.jvmOptionList());
    broker =
        ChildJvm.start(
            "broker." + ++brokerLaunches,
            jvmArgs,
            classpaths.serviceThenHarness(),
            BrokerMain.class.getName(),
            List.of(workDir.resolve("kafka").toString(), Integer.toString(brokerPort)),
            workDir);
    bootstrap = broker.await("broker", Duration.ofMinutes(2));
    brokerPort = Integer.parseInt(bootstrap.substring(bootstrap.lastIndexOf(':') + 1));
  }

  /** Both instances start at once: start-ups are the slowest part of the run. */
  private void startInstancesTogether() throws Exception {
    List<CompletableFuture<Void>> starts = new ArrayList<>();
    for (int i = 0; i < instances.length; i++) {
      int index = i;
      starts.add(
          CompletableFuture.runAsync(
              () -> {
                try {
                  launch(index);
                } catch (InterruptedException e) {
                  throw new IllegalStateException(e);
                }
              }));
    }
    CompletableFuture.allOf(starts.toArray(CompletableFuture[]::new)).get();
  }

  private void launch(int index) throws InterruptedException {
    instances[index] =
        ServiceUnderTest.start(
            ServiceUnderTest.Kind.HINDSIGHT,
            "hindsight-" + NAMES[index] + "." + ++launches[index],
            workDir.resolve("state-" + NAMES[index]),
            bootstrap,
            prefix,
            scenario,
            scenario.hasInteractions(),
            classpaths,
            workDir);
  }

  private Producer<byte[], byte[]> producer() {
    return new KafkaProducer<>(
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrap,
            ProducerConfig.ACKS_CONFIG,
            "all",
            ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
            true,
            ProducerConfig.LINGER_MS_CONFIG,
            2,
            // The broker may be down for a restart: records wait for it rather than fail.
            ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG,
            Integer.MAX_VALUE,
            ProducerConfig.BUFFER_MEMORY_CONFIG,
            128L * 1024 * 1024,
            ProducerConfig.MAX_BLOCK_MS_CONFIG,
            Long.MAX_VALUE),
        new ByteArraySerializer(),
        new ByteArraySerializer());
  }

  /**
   * Waits until both replicas hold the same, unchanging number of samples: the memories have
   * applied everything published (replicas hold samples back until every task's progress says so).
   */
  /**
   * Waits until nothing more reaches the replicas: the last windows closed (they close on the
   * wall clock once the inputs have been idle), the labelled-samples topic's committed end
   * unchanged and both memories holding the same samples, all three over two checks 2 s apart. A
   * replica compared while a last transaction is still arriving would differ from the rebuild.
   */
  private void awaitSettledMemories(Admin admin, Topics topics, long trafficStopped)
      throws InterruptedException {
    long idleMs =
        Long.parseLong(scenario.settings().getOrDefault("compensation.input.idle.ms", "10000"));
    long windowsClosedAt = trafficStopped + (idleMs + closeAfterMs()) * 1_000_000L;
    String labelled = topics.labelledSamples().name();
    String[] last = {null};
    int[] stableChecks = {0};
    awaitCondition(
        "both memories settled",
        () -> {
          double a = samples(instances[0]);
          double b = samples(instances[1]);
          String now = a == b ? a + " samples, topic end " + committedEnd(admin, labelled) : null;
          stableChecks[0] = now != null && now.equals(last[0]) ? stableChecks[0] + 1 : 0;
          last[0] = now;
          return stableChecks[0] >= 2 && clock.nanos() >= windowsClosedAt;
        },
        Duration.ofMinutes(2),
        Duration.ofSeconds(2));
  }

  /** The sum of a topic's end offsets as a read_committed consumer sees them. */
  private static long committedEnd(Admin admin, String topic) {
    try {
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      for (var p : admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions()) {
        latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest());
      }
      return admin
          .listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
          .all()
          .get()
          .values()
          .stream()
          .mapToLong(ListOffsetsResult.ListOffsetsResultInfo::offset)
          .sum();
    } catch (ExecutionException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private static double samples(ServiceUnderTest instance) {
    return PrometheusText.scrape(instance.http).sum("hindsight_memory_samples", "");
  }

  /**
   * Every failing utterance's rule as both instances answer it, against each other and against
   * the last committed value of the {@code rewrites} topic (the rule table).
   */
  private Map<String, Object> compareRules(Topics topics, List<String> failures)
      throws InterruptedException {
    Map<String, Object> rules = new LinkedHashMap<>();
    if (!scenario.hasInteractions()) {
      rules.put("checked", false);
      return rules;
    }
    Map<String, String> table = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> r :
        CommittedRecords.readAll(bootstrap, topics.rewrites().name(), Duration.ofMinutes(2))) {
      String key = new String(r.key(), StandardCharsets.UTF_8);
      table.put(key, r.value() == null ? null : target(new String(r.value(), StandardCharsets.UTF_8)));
    }
    List<String> differing = new ArrayList<>();
    int live = 0;
    for (int intent = 0; intent < scenario.failingUtterances(); intent++) {
      String utterance = LoadGenerator.failing(intent);
      String a = lookup(instances[0], utterance);
      String b = lookup(instances[1], utterance);
      String fromTopic = table.get(utterance);
      if (!Objects.equals(a, b) || !Objects.equals(target(a), fromTopic)) {
        differing.add(utterance + ": a " + a + ", b " + b + ", topic target " + fromTopic);
      }
      if (fromTopic != null) {
        live++;
      }
    }
    rules.put("checked", true);
    rules.put("utterances", scenario.failingUtterances());
    rules.put("live_in_topic", live);
    rules.put("differing", differing);
    if (!differing.isEmpty()) {
      failures.add(differing.size() + " rules differ between the replicas or the topic");
    }
    return rules;
  }

  private static String lookup(ServiceUnderTest instance, String utterance) {
    try {
      HttpResponse<String> response =
          HTTP.send(
              HttpRequest.newBuilder(
                      URI.create(
                          "http://"
                              + instance.http
                              + "/rewrite?utterance="
                              + URLEncoder.encode(utterance, StandardCharsets.UTF_8)))
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 404 ? null : response.body();
    } catch (IOException e) {
      return "unanswered: " + e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
  }

  private static String target(String json) {
    if (json == null) {
      return null;
    }
    try {
      return EventCodec.JSON.readTree(json).path("target").asText(null);
    } catch (IOException e) {
      return json;
    }
  }

  /** The stopped instances' memories against one rebuilt from the committed samples. */
  private Map<String, Object> compareReplicas(List<String> failures) throws Exception {
    Path settingsFile = workDir.resolve("replica-check.properties");
    Map<String, String> settings = new LinkedHashMap<>(scenario.settings());
    settings.put("topic.prefix", prefix);
    settings.put("bootstrap.servers", bootstrap);
    ReplicaCheckMain.writeSettings(settings, settingsFile);
    List<String> args = new ArrayList<>(List.of(bootstrap, settingsFile.toString()));
    args.add(workDir.resolve("scratch-memory").toString());
    for (ServiceUnderTest instance : instances) {
      args.add(
          instance
              .stateDir()
              .resolve(prefix + "app-compensation")
              .resolve("global")
              .resolve("compensation-error-memory")
              .toString());
    }
    try (ChildJvm check =
        ChildJvm.start(
            "replica-check",
            ChildJvm.CHRONICLE_FLAGS,
            classpaths.serviceThenHarness(),
            ReplicaCheckMain.class.getName(),
            args,
            workDir)) {
      String json = check.await("replicas", Duration.ofMinutes(3));
      @SuppressWarnings("unchecked")
      Map<String, Object> replicas = EventCodec.JSON.readValue(json, Map.class);
      if (!Boolean.TRUE.equals(replicas.get("replicas_identical"))) {
        out.printf("faults: replicas %s%n", json);
        failures.add("memory replicas differ from the memory rebuilt from committed samples");
      }
      return replicas;
    }
  }

  /**
   * A window must have closed once the stream is this far past its prediction: the attribution
   * window, its lateness, and 3 s for tasks whose last prediction came earlier than the last of all.
   */
  private long closeAfterMs() {
    return scenario.attributionWindowMs()
        + Long.parseLong(scenario.settings().getOrDefault("compensation.window.lateness.ms", "0"))
        + 3000;
  }

  private Map<String, Object> trafficFigures(long trafficStart) {
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("seconds", (clock.nanos() - trafficStart) / 1_000_000_000L);
    t.put("predictions_sent", generator.predictions.get());
    t.put("outcomes_sent", generator.outcomes.get());
    t.put("interactions_sent", generator.turns.get());
    t.put("bad_records_sent", generator.bad.get());
    t.put("send_failures", generator.sendFailures.get());
    t.put("generator_max_lag_ms", generator.maxLagMicros.get() / 1000);
    return t;
  }

  private Map<String, Object> planFigures() {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("spec", plan.spec());
    p.put("seed", plan.seed());
    p.put("quiet_seconds_after_last", quietSeconds);
    Map<String, String> kinds = new LinkedHashMap<>();
    for (FaultPlan.Kind k : FaultPlan.Kind.values()) {
      kinds.put(k.key, k.description);
    }
    p.put("kinds", kinds);
    p.put(
        "recovery",
        "ready: the process hit is back (instance ready, broker announced); recovered: and every"
            + " prediction sent before then has its compensation");
    return p;
  }

  /** Per kind and overall: how many, and ready/recovered percentiles. */
  static Map<String, Object> summary(List<Map<String, Object>> faults) {
    Map<String, List<Map<String, Object>>> byKind = new TreeMap<>();
    for (Map<String, Object> f : faults) {
      byKind.computeIfAbsent((String) f.get("kind"), k -> new ArrayList<>()).add(f);
    }
    byKind.put("all", faults);
    Map<String, Object> summary = new LinkedHashMap<>();
    byKind.forEach(
        (kind, list) -> {
          Map<String, Object> s = new LinkedHashMap<>();
          s.put("count", list.size());
          s.put("ready", percentiles(list, "ready_ms"));
          s.put("recovered", percentiles(list, "recovered_ms"));
          summary.put(kind, s);
        });
    return summary;
  }

  private static Map<String, Object> percentiles(List<Map<String, Object>> faults, String field) {
    Histogram h = new Histogram(3_600_000_000L, 3);
    for (Map<String, Object> f : faults) {
      Object ms = f.get(field);
      if (ms instanceof Number n) {
        h.recordValue(n.longValue() * 1000);
      }
    }
    Map<String, Object> p = Report.percentilesMs(h);
    p.remove("p90_ms");
    p.remove("p99_9_ms");
    return p;
  }

  private static void awaitCondition(String what, BooleanSupplier condition, Duration timeout)
      throws InterruptedException {
    awaitCondition(what, condition, timeout, Duration.ofMillis(100));
  }

  private static void awaitCondition(
      String what, BooleanSupplier condition, Duration timeout, Duration poll)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("Timed out after " + timeout + " waiting for: " + what);
      }
      // The conditions are read off child JVMs and topics: nothing to block on but a poll.
      Thread.sleep(poll.toMillis());
    }
  }
}
