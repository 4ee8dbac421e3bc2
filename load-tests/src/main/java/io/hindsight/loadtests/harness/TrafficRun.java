package io.hindsight.loadtests.harness;

import io.hindsight.config.Topics;
import io.hindsight.events.EventCodec;
import java.io.PrintStream;
import java.time.Duration;
import java.util.DoubleSummaryStatistics;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Traffic against one running {@link ServiceUnderTest}: a generator, an independent observer, a
 * progress line every five seconds. {@link #step} sends one shape of traffic and measures it; the
 * saturation search calls it once per rate on the same service.
 */
final class TrafficRun implements AutoCloseable {
  private static final int PROGRESS_SECONDS = 5;

  private final ServiceUnderTest service;
  private final Scenario scenario;
  private final LoadClock clock;
  private final PrintStream out;
  private final Producer<byte[], byte[]> producer;
  private final Probes probes;
  private final OutputObserver observer;
  private final Thread observerThread;
  private final LoadGenerator generator;
  private final ServingLoad serving;
  private Map<String, Object> lastServing;
  private PathTrace trace;
  private java.util.List<String> clientMetrics = java.util.List.of();
  private Thread traceThread;

  /** With a large-vocabulary stream: the rewrites app's progress, sampled with the heap. */
  private final RewriteCheck rewrites;

  private final java.util.List<Map<String, Object>> samples =
      java.util.Collections.synchronizedList(new java.util.ArrayList<>());

  private volatile double measuredFromS = Double.NaN;

  /** Epoch µs of the end of the warm-up: rules whose evidence completed before are not measured. */
  private volatile long measuredFromMicros;
  private volatile double measuredToS = Double.NaN;

  /** One measured interval: what was offered, what came out, how late. */
  record Step(
      double targetRate,
      double offeredPerSecond,
      double sustainedPerSecond,
      Histogram latencyMicros,
      long missing,
      long generatorMaxLagMicros) {

    boolean holds(long objectiveP99Micros) {
      return missing == 0
          && latencyMicros.getValueAtPercentile(99) <= objectiveP99Micros
          && sustainedPerSecond >= 0.95 * offeredPerSecond;
    }
  }

  TrafficRun(
      ServiceUnderTest service,
      String bootstrapServers,
      Scenario scenario,
      LoadClock clock,
      PrintStream out,
      ServingLoad.Settings servingSettings) {
    this.service = service;
    this.scenario = scenario;
    this.clock = clock;
    this.out = out;
    Topics topics =
        Topics.withPrefix(
            service.prefix, new EventCodec(1 << 20, Long.MAX_VALUE / 4, System::currentTimeMillis));
    this.producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers,
                ProducerConfig.ACKS_CONFIG,
                "all",
                ProducerConfig.LINGER_MS_CONFIG,
                2,
                ProducerConfig.BATCH_SIZE_CONFIG,
                128 * 1024,
                ProducerConfig.BUFFER_MEMORY_CONFIG,
                128L * 1024 * 1024,
                ProducerConfig.MAX_BLOCK_MS_CONFIG,
                Long.MAX_VALUE),
            new ByteArraySerializer(),
            new ByteArraySerializer());
    this.probes = new Probes(scenario.memoryArrays());
    this.observer = new OutputObserver(bootstrapServers, topics, clock, probes);
    this.observerThread = new Thread(observer, "observer");
    observerThread.setDaemon(true);
    observerThread.start();
    this.generator = new LoadGenerator(scenario, topics, producer, clock, probes, 42);
    this.rewrites =
        scenario.vocabulary() == null || service.kind != ServiceUnderTest.Kind.HINDSIGHT
            ? null
            : new RewriteCheck(bootstrapServers, topics, service.prefix + "app");
    if (generator.vocabulary != null) {
      out.printf(
          "[%s] vocabulary: %,d sessions, %,d turns (%.2f per session) from %s%n",
          service.kind.label,
          generator.vocabulary.sessions(),
          generator.vocabulary.turns(),
          generator.vocabulary.turnsPerSession(),
          scenario.vocabulary().log());
    }
    this.serving =
        servingSettings == null || service.kind != ServiceUnderTest.Kind.HINDSIGHT
            ? null
            : new ServingLoad(service.http, servingSettings, scenario.dimension());
  }

  /**
   * Sends {@code shape} open loop, then waits (at most {@code drain}) for every prediction's
   * compensation; those still missing are charged as arriving at the end of the wait.
   */
  Step step(Scenario shape, Duration drain) throws InterruptedException {
    long start = clock.nanos() + 100_000_000L;
    Window window =
        new Window(
            clock.epochMicros(start + shape.warmupS() * 1_000_000_000L),
            clock.epochMicros(start + shape.durationS() * 1_000_000_000L));
    observer.measure(window);
    if (trace != null) {
      trace.reset();
    }
    probes.measureFrom(window.fromMicros);
    boolean withProbes = service.kind == ServiceUnderTest.Kind.HINDSIGHT;
    ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
    // The counters run across steps; the first progress line of a step counts from here.
    long[] last = {generator.predictions.get(), observer.compensations.get()};
    ticker.scheduleAtFixedRate(
        () -> progress(shape, start, last), PROGRESS_SECONDS, PROGRESS_SECONDS, TimeUnit.SECONDS);
    try {
      if (serving != null) {
        serving.start();
      }
      runStartNanos = start;
      measuredFromS = shape.warmupS();
      measuredFromMicros = window.fromMicros;
      generator.run(shape, start, window, withProbes);
      measuredToS = (clock.nanos() - start) / 1e9;
      sample(measuredToS);
      if (trace != null) {
        clientMetrics = clientMetrics(service.sample().text());
      }
      if (serving != null) {
        lastServing = serving.stop();
        out.printf("[%s] lookups: %s%n", service.kind.label, lastServing);
      }
      producer.flush();
      awaitCondition(() -> window.received.get() >= window.offered.get(), drain);
    } finally {
      ticker.shutdownNow();
    }
    long missing = window.chargeMissing(clock.nowMicros());
    return new Step(
        shape.rate(),
        window.offered.get() / window.seconds(),
        window.receivedDuring.get() / window.seconds(),
        window.latency(),
        missing,
        generator.maxLagMicros.getAndSet(0));
  }

  private volatile long runStartNanos;
  private final CpuSteal steal = new CpuSteal();

  private void sample(double secondsIn) {
    if (rewrites != null) {
      sample(secondsIn, service.sample());
    }
  }

  /** The heap, the replica's states and the interactions the rewrites app has consumed. */
  private void sample(double secondsIn, PrometheusText metrics) {
    if (rewrites == null) {
      return;
    }
    Map<String, Object> sample = new LinkedHashMap<>();
    sample.put("s", Report.round(secondsIn));
    sample.put("heap_mb", Report.round(metrics.sum("jvm_memory_used_bytes", "area=\"heap\"") / 1e6));
    sample.put("states", (long) metrics.sum("hindsight_rewrite_states", ""));
    sample.put("interactions_sent", generator.turns.get());
    sample.put("interactions_consumed", rewrites.consumed());
    double stolen = steal.percentSinceLast();
    if (!Double.isNaN(stolen)) {
      sample.put("cpu_steal_pct", Report.round(stolen));
    }
    samples.add(sample);
  }

  private void progress(Scenario shape, long start, long[] last) {
    try {
      long elapsed = (clock.nanos() - start) / 1_000_000_000L;
      // One scrape per tick: a scrape of the Kafka clients' metrics costs the service CPU.
      PrometheusText metrics = service.sample();
      sample((clock.nanos() - start) / 1e9, metrics);
      long sent = generator.predictions.get();
      long received = observer.compensations.get();
      Histogram h = observer.interval();
      out.printf(
          "[%s %3ds/%ds] target %.0f/s  sent %.0f/s  out %.0f/s  backlog %d  latency p50 %.1f p99"
              + " %.1f max %.1f ms  probes %d/%d  rules %d  dlq %d  heap %.0f MB  states %.0f%n",
          service.kind.label,
          elapsed,
          shape.durationS(),
          shape.rateAt(elapsed),
          (sent - last[0]) / (double) PROGRESS_SECONDS,
          (received - last[1]) / (double) PROGRESS_SECONDS,
          sent - received,
          h.getValueAtPercentile(50) / 1000.0,
          h.getValueAtPercentile(99) / 1000.0,
          h.getMaxValue() / 1000.0,
          probes.answered(),
          probes.started(),
          observer.ruleFirstSeen.size(),
          observer.deadLetteredBad.get() + observer.deadLetteredOther.get(),
          metrics.sum("jvm_memory_used_bytes", "area=\"heap\"") / 1e6,
          metrics.sum("hindsight_rewrite_states", ""));
      last[0] = sent;
      last[1] = received;
    } catch (RuntimeException e) {
      out.println("progress: " + e);
    }
  }

  /**
   * The Kafka clients' own account of the time (the stream threads' shares of poll, process, commit
   * and punctuate, the fetch and commit latencies, the producers' queue time), as /metrics shows it
   * when sending ends: Kafka's averages over its last sample windows (about 30 s).
   */
  private static java.util.List<String> clientMetrics(String text) {
    java.util.regex.Pattern wanted =
        java.util.regex.Pattern.compile(
            "^kafka_(stream_thread_(poll|process|commit|punctuate)_(ratio|latency_avg|latency_max)"
                + "|stream_task_enforced_processing_rate"
                + "|consumer_fetch_manager_(fetch_latency_avg|fetch_latency_max|fetch_rate"
                + "|records_per_request_avg)"
                + "|producer_(record_queue_time_avg|record_queue_time_max|request_latency_avg"
                + "|batch_size_avg|records_per_request_avg|txn_commit_time_ns_total"
                + "|txn_send_offsets_time_ns_total|txn_begin_time_ns_total)"
                + ")\\{.*");
    return text.lines()
        .filter(line -> wanted.matcher(line).matches())
        .filter(line -> !line.contains("partition="))
        .toList();
  }

  /** Starts a {@link PathTrace}: the summary then splits each step's latency along the path. */
  void tracePath(String bootstrapServers) {
    Topics topics =
        Topics.withPrefix(
            service.prefix, new EventCodec(1 << 20, Long.MAX_VALUE / 4, System::currentTimeMillis));
    trace = new PathTrace(bootstrapServers, topics, clock, observer);
    observer.trace = trace;
    traceThread = new Thread(trace, "path-trace");
    traceThread.setDaemon(true);
    traceThread.start();
  }

  /**
   * Unmeasured: {@code seconds} of traffic at {@code rate}, then a wait until all of it has come
   * out, so that measured steps start on a warm pipeline (consumers assigned, transactions
   * initialised, code compiled, memories mapped) rather than charging start-up to their latency.
   */
  void prime(double rate, int seconds) throws InterruptedException {
    out.printf(
        "[%s] priming (not measured): %.0f predictions/s for %d s, then until they come out%n",
        service.kind.label, rate, seconds);
    step(scenario.steadyAt(rate, seconds, seconds), Duration.ofMinutes(3));
    awaitDrained(Duration.ofMinutes(3));
  }

  /** Waits until every prediction sent so far has its compensation (between search steps). */
  void awaitDrained(Duration timeout) throws InterruptedException {
    awaitCondition(() -> observer.compensations.get() >= generator.predictions.get(), timeout);
  }

  /**
   * After the last step: waits for the dead-letter topic to account for every bad record, then
   * reports counts (what the generator sent, what the observer saw), freshness and memory.
   */
  Map<String, Object> summary(Duration drain) throws InterruptedException {
    awaitCondition(() -> observer.compensations.get() >= generator.predictions.get(), drain);
    awaitCondition(() -> observer.deadLetteredBad.get() >= generator.bad.get(), drain);
    Map<String, Object> summary = new LinkedHashMap<>();
    Map<String, Object> counts = new LinkedHashMap<>();
    counts.put("predictions_sent", generator.predictions.get());
    counts.put("outcomes_sent", generator.outcomes.get());
    counts.put("interactions_sent", generator.turns.get());
    counts.put("bad_records_sent", generator.bad.get());
    Map<String, Long> badKinds = new TreeMap<>();
    generator.badByKind.forEach((k, v) -> badKinds.put(k, v.sum()));
    counts.put("bad_records_by_kind", badKinds);
    counts.put("compensations_received", observer.compensations.get());
    counts.put("compensations_duplicated", observer.duplicates.get());
    counts.put("good_predictions_lost", generator.predictions.get() - observer.compensations.get());
    summary.put("counts", counts);
    Map<String, Object> dlq = new LinkedHashMap<>();
    dlq.put("bad_records_accounted", observer.deadLetteredBad.get());
    dlq.put("bad_records_missing", generator.bad.get() - observer.deadLetteredBad.get());
    dlq.put("good_records_dead_lettered", observer.deadLetteredOther.get());
    Map<String, Long> reasons = new TreeMap<>();
    observer.deadLettersByReason.forEach((k, v) -> reasons.put(k, v.sum()));
    dlq.put("by_reason", reasons);
    dlq.put("metric_hindsight_dlq_records", (long) service.deadLetterMetric());
    summary.put("dlq", dlq);
    if (service.kind == ServiceUnderTest.Kind.HINDSIGHT) {
      summary.put("freshness", freshness());
    }
    if (rewrites != null) {
      summary.put("rewrites", rewritesSummary(drain));
    }
    if (lastServing != null) {
      summary.put("serving", lastServing);
    }
    if (trace != null) {
      Map<String, Object> path = trace.summary();
      path.put("client_metrics_at_end_of_sending", clientMetrics);
      summary.put("latency_path", path);
    }
    summary.put("memory", service.memory(scenario));
    summary.put("service_log", service.log().toString());
    return summary;
  }

  /**
   * Interactions per second the rewrites app consumed between the end of the warm-up and the end of
   * sending (its group's committed offsets), the backlog left, heap and states over time, and the
   * published rules against a second replica.
   */
  private Map<String, Object> rewritesSummary(Duration drain) throws InterruptedException {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("vocabulary_turns_sent", generator.vocabularyTurns.get());
    if (generator.vocabulary != null) {
      r.put("vocabulary_laps", generator.vocabulary.laps());
    }
    r.put("interactions_sent", generator.turns.get());
    java.util.List<Map<String, Object>> series;
    synchronized (samples) {
      series = new java.util.ArrayList<>(samples);
    }
    Map<String, Object> from = null;
    Map<String, Object> to = null;
    for (Map<String, Object> s : series) {
      double at = ((Number) s.get("s")).doubleValue();
      if (from == null && at >= measuredFromS && ((Number) s.get("interactions_consumed")).longValue() >= 0) {
        from = s;
      }
      if (at <= measuredToS + 0.01) {
        to = s;
      }
    }
    if (from != null && to != null && to != from) {
      double seconds = ((Number) to.get("s")).doubleValue() - ((Number) from.get("s")).doubleValue();
      long consumed =
          ((Number) to.get("interactions_consumed")).longValue()
              - ((Number) from.get("interactions_consumed")).longValue();
      long sent =
          ((Number) to.get("interactions_sent")).longValue()
              - ((Number) from.get("interactions_sent")).longValue();
      r.put("measured_seconds", Report.round(seconds));
      // CPU the hypervisor gave to others: the machine this run had was smaller by that much.
      DoubleSummaryStatistics steals =
          series.stream()
              .filter(s -> ((Number) s.get("s")).doubleValue() > measuredFromS)
              .filter(s -> s.containsKey("cpu_steal_pct"))
              .mapToDouble(s -> ((Number) s.get("cpu_steal_pct")).doubleValue())
              .summaryStatistics();
      if (steals.getCount() > 0) {
        r.put("cpu_steal_pct_mean", Report.round(steals.getAverage()));
        r.put("cpu_steal_pct_max", Report.round(steals.getMax()));
      }
      r.put("sent_per_second", Report.round(sent / seconds));
      r.put("consumed_per_second", Report.round(consumed / seconds));
      r.put(
          "backlog_at_end_of_sending",
          ((Number) to.get("interactions_sent")).longValue()
              - ((Number) to.get("interactions_consumed")).longValue());
    }
    long drainStarted = System.nanoTime();
    awaitCondition(() -> rewrites.consumed() >= rewrites.produced(), drain);
    r.put("drain_seconds", Report.round((System.nanoTime() - drainStarted) / 1e9));
    r.put("backlog_after_drain", rewrites.produced() - rewrites.consumed());
    // The publisher runs every 100 ms and commits after: let the last changes reach the topic.
    Thread.sleep(5_000); // a publishing round and a commit with room to spare, nothing to poll for
    r.put("rules", rewrites.compareRules(scenario.settings()));
    r.put("samples", series);
    return r;
  }

  private Map<String, Object> freshness() {
    Map<String, Object> freshness = new LinkedHashMap<>();
    Map<String, Object> compensation = Report.percentilesMs(probes.freshness());
    compensation.put("probes_started", probes.started());
    compensation.put("probes_answered", probes.answered());
    compensation.put(
        "definition",
        "arrival of the first compensation whose evidence shows a probe's labelled sample, minus"
            + " the close of that sample's attribution window");
    freshness.put("compensation", compensation);
    Histogram rules = new Histogram(3_600_000_000L, 3);
    Histogram decided = new Histogram(3_600_000_000L, 3);
    Histogram published = new Histogram(3_600_000_000L, 3);
    Histogram afterClose = new Histogram(3_600_000_000L, 3);
    Histogram afterCloseWholeRun = new Histogram(3_600_000_000L, 3);
    int early = 0;
    int beforeClose = 0;
    int pending = 0;
    int inWarmup = 0;
    Map<String, RuleEvidence> evidence =
        generator.ruleEvidence(scenario.ruleUsers(), scenario.sessionGapMs());
    for (Map.Entry<String, RuleEvidence> e : evidence.entrySet()) {
      Long seen = observer.ruleFirstSeen.get(e.getKey());
      long completedAt = e.getValue().rephraseAt();
      long closed = e.getValue().sessionClosedAt();
      boolean measured = completedAt * 1000 >= measuredFromMicros;
      if (!measured) {
        inWarmup++;
      }
      if (seen != null && seen < closed) {
        beforeClose++;
      }
      if (seen == null) {
        pending++;
      } else if (seen < completedAt) {
        early++;
      } else {
        afterCloseWholeRun.recordValue(Math.max(0, seen - closed) * 1000);
        if (measured) {
          rules.recordValue((seen - completedAt) * 1000);
          long decidedAt = observer.ruleDecidedAt.getOrDefault(e.getKey(), seen);
          decided.recordValue(Math.max(0, decidedAt - completedAt) * 1000);
          published.recordValue(Math.max(0, seen - decidedAt) * 1000);
          afterClose.recordValue(Math.max(0, seen - closed) * 1000);
        }
      }
    }
    Map<String, Object> rule = Report.percentilesMs(rules);
    rule.put("rules_with_complete_evidence", evidence.size());
    rule.put("rules_completed_in_warmup", inWarmup);
    rule.put("rules_not_seen_by_end", pending);
    rule.put("rules_seen_before_evidence_complete", early);
    rule.put("rules_seen_before_evidence_session_closed", beforeClose);
    rule.put("rules_seen", observer.ruleFirstSeen.size());
    rule.put("session_gap_ms", scenario.sessionGapMs());
    rule.put(
        "definition",
        "for rules whose evidence completed after the warm-up: first arrival of the rule on the"
            + " rewrites topic minus the event time of the turn that completed its evidence: the"
            + " last rephrase of the distinct users whose sessions closed first (counting only"
            + " users with no other turn between their failing turn and its rephrase); includes"
            + " the session gap, since a chain is counted when its session ends");
    Map<String, Object> afterSession = Report.percentilesMs(afterClose);
    afterSession.put(
        "definition",
        "for rules completed after the warm-up: first arrival of the rule minus the close of the"
            + " session that completed its evidence (its last turn plus the session gap: the"
            + " service counts a chain when its session closes, so this is the needed users'"
            + " latest close, whatever order they rephrased in): the freshness bar's 'session gap"
            + " + 2 s' is this figure's 2 s");
    rule.put("after_session_close", afterSession);
    Map<String, Object> wholeRun = Report.percentilesMs(afterCloseWholeRun);
    wholeRun.put(
        "definition",
        "after_session_close for every rule seen, those completed in the warm-up (the services'"
            + " JIT compilation and the start-up backlog) included");
    rule.put("after_session_close_whole_run", wholeRun);
    Map<String, Object> parts = new LinkedHashMap<>();
    parts.put("decided_after_evidence", Report.percentilesMs(decided));
    parts.put("arrived_after_decision", Report.percentilesMs(published));
    parts.put(
        "definition",
        "the rule's first record's timestamp (the log time its decision point was at) minus the"
            + " evidence's event time, and the arrival minus that timestamp: event time the"
            + " service waited for, and time it took to process");
    rule.put("parts", parts);
    freshness.put("rules", rule);
    return freshness;
  }

  private static void awaitCondition(BooleanSupplier condition, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
      // The counters are bumped by consumer and producer threads with nothing to wait on; 50 ms
      // is below the resolution any drain or freshness figure is reported at.
      Thread.sleep(50);
    }
  }

  @Override
  public void close() {
    if (serving != null) {
      serving.close();
    }
    if (rewrites != null) {
      rewrites.close();
    }
    observer.stop();
    if (trace != null) {
      trace.stop();
    }
    producer.close(Duration.ofSeconds(10));
    try {
      observerThread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
