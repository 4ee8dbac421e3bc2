package io.hindsight.loadtests.harness;

import io.hindsight.Hindsight;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The load test runner. {@code LoadTest --scenario steady} starts the in-process broker in a child
 * JVM (or uses {@code --bootstrap-servers}), then runs the scenario's traffic through the
 * pass-through baseline and through Hindsight, each in its own child JVM on that broker, writes
 * {@code results/<scenario>-<date>.json} and appends a row to the README's table. With {@code
 * --saturation} it steps the rate instead, for each topology, until the latency objective fails.
 */
public final class LoadTest {
  private static final DateTimeFormatter FILE_DATE =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private final Options options;
  private final PrintStream out;
  private final LoadClock clock = new LoadClock();

  private LoadTest(Options options, PrintStream out) {
    this.options = options;
    this.out = out;
  }

  public static void main(String[] args) throws Exception {
    Path result = run(args, System.out);
    System.out.println("result: " + result.toAbsolutePath());
    List<String> failures = Report.failures(result);
    if (!failures.isEmpty()) {
      System.out.println("FAILED: " + String.join("; ", failures));
    }
    System.exit(failures.isEmpty() ? 0 : 1);
  }

  /** Runs a load test as the command line says and returns the result file. */
  public static Path run(String[] args, PrintStream out) throws Exception {
    return new LoadTest(Options.parse(args), out).run();
  }

  private final CpuSteal steal = new CpuSteal();

  private Path run() throws Exception {
    Scenario scenario =
        Scenario.load(options.scenario, options.scenariosDir)
            .with(options.settings, options.durationS, options.rate);
    Instant started = Instant.now();
    String loadStart = Report.loadAverage();
    steal.percentSinceLast(); // from here: the result's cpu_steal_pct
    Path workDir = Files.createTempDirectory("hindsight-load-");
    String runId = scenario.name() + "-" + started.getEpochSecond();
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("scenario", scenario.name());
    result.put("date", DateTimeFormatter.ISO_INSTANT.format(started));
    result.put("command", String.join(" ", options.args));
    result.put("machine", Report.machine());
    result.put("guarantee", scenario.guarantee());
    result.put("scenario_settings", scenarioFigures(scenario));
    if (options.faults != null) {
      return faults(scenario, started, loadStart, workDir, result);
    }
    ChildJvm broker = null;
    try {
      String bootstrap = options.bootstrapServers;
      if (bootstrap == null) {
        broker =
            ChildJvm.start(
                "broker",
                brokerJvmArgs(scenario),
                options.classpaths.serviceThenHarness(),
                BrokerMain.class.getName(),
                List.of(workDir.resolve("kafka").toString()),
                workDir);
        bootstrap = broker.await("broker", Duration.ofMinutes(2));
        result.put("broker", "in-process broker in a child JVM (" + bootstrap + ")");
      } else {
        result.put("broker", bootstrap);
      }
      out.printf(
          "%s: %s at %s, broker %s, load average %s, work directory %s%n",
          scenario.name(), scenario.guarantee(), started, bootstrap, loadStart, workDir);
      if (options.saturation) {
        saturation(scenario, bootstrap, runId, workDir, result);
      } else {
        fixedRate(scenario, bootstrap, runId, workDir, result);
      }
    } finally {
      if (broker != null) {
        broker.close();
      }
    }
    result.put("load_average", loadStart + " → " + Report.loadAverage());
    result.put("cpu_steal_pct", Report.round(steal.percentSinceLast()));
    result.put("elapsed_seconds", Duration.between(started, Instant.now()).toSeconds());
    Path file =
        options.resultsDir.resolve(
            scenario.name()
                + (options.saturation ? "-saturation" : "")
                + "-"
                + scenario.guarantee()
                + "-"
                + FILE_DATE.format(started)
                + ".json");
    Report.writeJson(result, file);
    if (options.readme != null) {
      Report.appendRow(options.readme, Report.row(result));
    }
    if (!options.keepWorkDir) {
      deleteQuietly(workDir);
    }
    return file;
  }

  /**
   * The fault-injection run ({@code --faults}): see {@link FaultRun}. The result file lists every
   * failure of the verification under {@code failures}; a run that could not finish is one.
   */
  private Path faults(
      Scenario scenario, Instant started, String loadStart, Path workDir, Map<String, Object> result)
      throws Exception {
    if (options.bootstrapServers != null) {
      throw new IllegalArgumentException("--faults restarts its own broker: no --bootstrap-servers");
    }
    FaultPlan plan =
        FaultPlan.parse(
            options.faults, options.faultSeed, options.faultGapMs[0], options.faultGapMs[1], 2);
    List<String> failures = new ArrayList<>();
    try {
      new FaultRun(scenario, plan, options.quietSeconds, options.classpaths, workDir, out)
          .run(result, failures);
    } catch (Exception e) {
      failures.add("the run did not finish: " + e);
      e.printStackTrace(out);
    }
    result.put(
        "verdict",
        faultVerdict(failures, (Long) result.getOrDefault("broker_skipped_commit_markers", 0L)));
    result.put("failures", failures);
    result.put("load_average", loadStart + " → " + Report.loadAverage());
    result.put("cpu_steal_pct", Report.round(steal.percentSinceLast()));
    result.put("elapsed_seconds", Duration.between(started, Instant.now()).toSeconds());
    Path file =
        options.resultsDir.resolve(
            scenario.name() + "-faults-" + scenario.guarantee() + "-" + FILE_DATE.format(started)
                + ".json");
    Report.writeJson(result, file);
    out.printf("faults: %s, %s%n", result.get("verdict"), failures);
    // Kept when the run failed: the instances' and the broker's logs are the diagnosis.
    if (!options.keepWorkDir && failures.isEmpty()) {
      deleteQuietly(workDir);
    } else {
      out.println("logs kept in " + workDir);
    }
    return file;
  }

  /**
   * {@code void} when the run lost records and the broker logged dropping a committed transaction's
   * markers ({@link FaultRun#SKIPPED_MARKERS}): the loss is Kafka's, and the run proves nothing
   * either way about Hindsight.
   */
  static String faultVerdict(List<String> failures, long brokerSkippedCommitMarkers) {
    if (failures.isEmpty()) {
      return "passed";
    }
    return brokerSkippedCommitMarkers > 0 ? "void" : "failed";
  }

  /**
   * The scenario's traffic at its own rate, through the baseline and then through Hindsight. With
   * {@code --start-together} both services start at once, so their start-ups overlap (the CI test
   * uses it); each then idles on the broker while the other is measured.
   */
  private void fixedRate(
      Scenario scenario, String bootstrap, String runId, Path workDir, Map<String, Object> result)
      throws InterruptedException {
    List<ServiceUnderTest.Kind> kinds = new ArrayList<>();
    if (options.baseline) {
      kinds.add(ServiceUnderTest.Kind.PASS_THROUGH);
    }
    kinds.add(ServiceUnderTest.Kind.HINDSIGHT);
    Map<ServiceUnderTest.Kind, Future<ServiceUnderTest>> early =
        new EnumMap<>(ServiceUnderTest.Kind.class);
    ExecutorService starter = Executors.newCachedThreadPool();
    Map<ServiceUnderTest.Kind, Map<String, Object>> phases =
        new EnumMap<>(ServiceUnderTest.Kind.class);
    try {
      if (options.startTogether) {
        for (ServiceUnderTest.Kind kind : kinds) {
          early.put(kind, starter.submit(() -> start(kind, scenario, bootstrap, runId, workDir)));
        }
        for (Future<ServiceUnderTest> service : early.values()) {
          started(service);
        }
      }
      for (ServiceUnderTest.Kind kind : kinds) {
        out.printf(
            "--- %s: %.0f predictions/s for %d s (warm-up %d s)%n",
            kind.label, scenario.rate(), scenario.durationS(), scenario.warmupS());
        try (ServiceUnderTest service =
            early.containsKey(kind)
                ? started(early.get(kind))
                : start(kind, scenario, bootstrap, runId, workDir)) {
          phases.put(kind, phase(service, scenario, bootstrap));
        }
      }
    } finally {
      // A service started early must not outlive a run that failed before measuring it.
      for (Future<ServiceUnderTest> service : early.values()) {
        service.cancel(true);
        if (service.isDone() && !service.isCancelled()) {
          try {
            service.get().close();
          } catch (ExecutionException e) {
            // it never started; nothing to close
          }
        }
      }
      starter.shutdownNow();
    }
    Map<String, Object> baseline = phases.get(ServiceUnderTest.Kind.PASS_THROUGH);
    if (baseline != null) {
      result.put("pass_through", baseline);
    }
    Map<String, Object> hindsight = phases.get(ServiceUnderTest.Kind.HINDSIGHT);
    result.put("hindsight", hindsight);
    Map<String, Object> step = castMap(hindsight.get("step"));
    result.put("headline", step);
    if (baseline != null) {
      double ours = ((Number) step.get("sustained_per_second")).doubleValue();
      double theirs =
          ((Number) castMap(baseline.get("step")).get("sustained_per_second")).doubleValue();
      result.put("ratio_to_pass_through", Math.round(100 * ours / theirs) / 100.0);
      result.put(
          "ratio_definition",
          "compensations per second over predictions per second copied by the pass-through, at"
              + " the same offered rate, measured in this run; below the pass-through's"
              + " saturation it is about 1 by construction (see the saturation search)");
    }
  }

  private ServiceUnderTest start(
      ServiceUnderTest.Kind kind, Scenario scenario, String bootstrap, String runId, Path workDir)
      throws InterruptedException {
    return ServiceUnderTest.start(
        kind,
        bootstrap,
        runId + "-" + kind.label + ".",
        scenario,
        scenario.hasInteractions(),
        options.classpaths,
        workDir);
  }

  private static ServiceUnderTest started(Future<ServiceUnderTest> service)
      throws InterruptedException {
    try {
      return service.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  private Map<String, Object> phase(ServiceUnderTest service, Scenario scenario, String bootstrap)
      throws InterruptedException {
    try (TrafficRun run = new TrafficRun(service, bootstrap, scenario, clock, out, options.serving)) {
      if (options.tracePath) {
        run.tracePath(bootstrap);
      }
      run.prime(scenario.rate(), options.primeSeconds);
      TrafficRun.Step step = run.step(scenario, options.drain);
      Map<String, Object> phase = new LinkedHashMap<>();
      phase.put("step", Report.step(step));
      phase.putAll(run.summary(options.drain));
      out.printf("%s: %s%n", service.kind.label, phase.get("step"));
      return phase;
    }
  }

  /**
   * For each topology on its own service: steps of constant rate, ×1.5 from {@code --start-rate},
   * until a step breaks the objective twice in a row at the same rate (p99 above it, a compensation
   * missing, or output below 95 % of the offered rate); then {@code --refine-steps} geometric
   * bisections between the highest rate that held and the lowest that failed; then one step at half
   * the highest rate that held.
   */
  private void saturation(
      Scenario scenario, String bootstrap, String runId, Path workDir, Map<String, Object> result)
      throws InterruptedException {
    Map<String, Object> search = new LinkedHashMap<>();
    search.put("objective_p99_ms", options.objectiveP99Ms);
    search.put("step_seconds", options.stepSeconds);
    search.put("factor", 1.5);
    search.put("refine_steps", options.refineSteps);
    double[] saturation = new double[2];
    for (ServiceUnderTest.Kind kind : ServiceUnderTest.Kind.values()) {
      if (kind == ServiceUnderTest.Kind.PASS_THROUGH && !options.baseline) {
        continue;
      }
      Map<String, Object> phase = new LinkedHashMap<>();
      List<Map<String, Object>> steps = new ArrayList<>();
      try (ServiceUnderTest service =
              ServiceUnderTest.start(
                  kind,
                  bootstrap,
                  runId + "-sat-" + kind.label + ".",
                  scenario,
                  scenario.hasInteractions(),
                  options.classpaths,
                  workDir);
          TrafficRun run = new TrafficRun(service, bootstrap, scenario, clock, out, options.serving)) {
        double rate = options.startRate != null ? options.startRate : scenario.rate() / 2;
        run.prime(rate, options.primeSeconds);
        Search stepper = new Search(kind, run, scenario, steps);
        double held = 0;
        double failing = 0;
        while (failing == 0 && steps.size() < options.maxSteps) {
          if (stepper.holds(rate)) {
            held = rate;
            rate *= 1.5;
          } else {
            failing = rate;
          }
        }
        // Bisect the last factor geometrically: each step halves its logarithm (1.5 -> 1.22 -> 1.11).
        for (int i = 0; i < options.refineSteps && held > 0 && failing > 0; i++) {
          double middle = Math.sqrt(held * failing);
          if (stepper.holds(middle)) {
            held = middle;
          } else {
            failing = middle;
          }
        }
        phase.put("steps", steps);
        phase.put("saturation_per_second", Report.round(held));
        phase.put("first_failing_per_second", Report.round(failing));
        // No step failed: the search ran out of steps, so the figure is only a lower bound.
        phase.put("search_capped", failing == 0);
        saturation[kind.ordinal()] = held;
        if (held > 0) {
          run.awaitDrained(Duration.ofMinutes(3));
          out.printf("--- %s at half the saturation rate: %.0f/s%n", kind.label, held / 2);
          TrafficRun.Step half =
              run.step(scenario.steadyAt(held / 2, options.stepSeconds, warmupOf()), options.drain);
          phase.put("at_half_saturation", Report.step(half));
        }
        phase.putAll(run.summary(options.drain));
      }
      result.put(kind == ServiceUnderTest.Kind.HINDSIGHT ? "hindsight" : "pass_through", phase);
    }
    double ours = saturation[ServiceUnderTest.Kind.HINDSIGHT.ordinal()];
    double theirs = saturation[ServiceUnderTest.Kind.PASS_THROUGH.ordinal()];
    search.put("hindsight_per_second", Report.round(ours));
    search.put("pass_through_per_second", Report.round(theirs));
    result.put("saturation", search);
    if (theirs > 0) {
      result.put("ratio_to_pass_through", Math.round(100 * ours / theirs) / 100.0);
      result.put(
          "ratio_definition",
          "highest rate at which Hindsight holds the objective over the same for the"
              + " pass-through, both searched in this run on the same broker");
    }
    Map<String, Object> hindsight = castMap(result.get("hindsight"));
    Map<String, Object> headline =
        new LinkedHashMap<>(
            castMap(
                hindsight.getOrDefault(
                    "at_half_saturation", castMap(((List<?>) hindsight.get("steps")).get(0)))));
    headline.put("sustained_per_second", Report.round(ours));
    result.put("headline", headline);
  }

  /**
   * Constant-rate steps of one saturation search. A step that breaks the objective is run once
   * more after the backlog drains: on a shared machine one descheduling can break a 20 s step.
   */
  private final class Search {
    private final ServiceUnderTest.Kind kind;
    private final TrafficRun run;
    private final Scenario scenario;
    private final List<Map<String, Object>> steps;
    private boolean behind;

    Search(
        ServiceUnderTest.Kind kind,
        TrafficRun run,
        Scenario scenario,
        List<Map<String, Object>> steps) {
      this.kind = kind;
      this.run = run;
      this.scenario = scenario;
      this.steps = steps;
    }

    boolean holds(double rate) throws InterruptedException {
      for (int attempt = 0; attempt < 2; attempt++) {
        if (behind) {
          run.awaitDrained(Duration.ofMinutes(3));
        }
        out.printf(
            "--- %s saturation step %d: %.0f predictions/s%n", kind.label, steps.size() + 1, rate);
        TrafficRun.Step step =
            run.step(scenario.steadyAt(rate, options.stepSeconds, warmupOf()), options.drain);
        Map<String, Object> s = Report.step(step);
        boolean holds = step.holds(options.objectiveP99Ms * 1000);
        s.put("holds", holds);
        steps.add(s);
        out.printf("%s %.0f/s: %s%n", kind.label, rate, s);
        behind = !holds;
        if (holds) {
          return true;
        }
      }
      return false;
    }
  }

  /** A third of a saturation step is warm-up. */
  private int warmupOf() {
    return Math.max(1, options.stepSeconds / 3);
  }

  private static List<String> brokerJvmArgs(Scenario scenario) {
    List<String> args = new ArrayList<>(List.of("-Xmx1g"));
    args.addAll(scenario.jvmOptionList());
    return args;
  }

  static Map<String, Object> scenarioFigures(Scenario s) {
    Map<String, Object> figures = new LinkedHashMap<>();
    figures.put("rate", s.rate());
    figures.put("duration_s", s.durationS());
    figures.put("warmup_s", s.warmupS());
    figures.put(
        "burst",
        s.burstAtS() < 0
            ? "none"
            : "x" + s.burstFactor() + " at " + s.burstAtS() + " s for " + s.burstS() + " s");
    figures.put("outcome_ratio", s.outcomeRatio());
    figures.put("outcome_delay_mean_ms", s.outcomeDelayMeanMs());
    figures.put("outcome_delay_max_ms", s.outcomeDelayMaxMs());
    figures.put("embedding_dimension", s.dimension());
    figures.put("models", s.models());
    figures.put("versions", s.versions());
    figures.put("version_change_at_s", s.versionChangeAtS());
    figures.put("interaction_rate", s.interactionRate());
    figures.put("users", s.users());
    figures.put("failing_utterances", s.failingUtterances());
    figures.put("failing_share", s.failingShare());
    figures.put(
        "storm",
        s.stormAtS() < 0
            ? "none"
            : s.stormUtterances()
                + " utterances at "
                + s.stormAtS()
                + " s, share "
                + s.stormShare()
                + " for "
                + s.stormS()
                + " s");
    figures.put("bad_share", s.badShare());
    figures.put("service_heap", s.serviceHeap());
    figures.put("jvm_options", s.jvmOptions());
    figures.put("service_settings", new TreeMap<>(s.settings()));
    return figures;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> castMap(Object o) {
    return (Map<String, Object>) o;
  }

  private static void deleteQuietly(Path dir) {
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      // a temporary directory; the OS cleans up what is left
    }
  }

  /** The command line. */
  static final class Options {
    String[] args;
    String scenario;
    String bootstrapServers;
    Integer durationS;
    Double rate;
    Double startRate;
    boolean saturation;
    boolean baseline = true;
    boolean tracePath;
    boolean keepWorkDir;
    boolean startTogether;
    String faults;
    long faultSeed = 1;
    long[] faultGapMs = {5_000, 20_000};
    int quietSeconds = 15;
    long objectiveP99Ms = 250;
    int stepSeconds = 30;
    int primeSeconds = 20;
    int maxSteps = 14;
    int refineSteps = 2;
    Duration drain = Duration.ofSeconds(60);
    Path scenariosDir = Path.of("scenarios");
    Path resultsDir = Path.of("results");
    Path readme = Path.of("README.md");
    Map<String, String> settings = new LinkedHashMap<>();
    ServingLoad.Settings serving;
    ServiceUnderTest.Classpaths classpaths;

    static Options parse(String[] args) {
      Options o = new Options();
      o.args = args;
      String serviceJar = null;
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        switch (a) {
          case "--scenario" -> o.scenario = args[++i];
          case "--bootstrap-servers" -> o.bootstrapServers = args[++i];
          case "--guarantee" -> o.settings.put(Scenario.GUARANTEE, args[++i]);
          case "--duration" -> o.durationS = Integer.parseInt(args[++i]);
          case "--rate" -> o.rate = Double.parseDouble(args[++i]);
          case "--saturation" -> o.saturation = true;
          case "--serving-rate" ->
              o.serving =
                  new ServingLoad.Settings(
                      Double.parseDouble(args[++i]), o.serving == null ? 1 : o.serving.batch());
          case "--serving-batch" ->
              o.serving =
                  new ServingLoad.Settings(
                      o.serving == null ? 100 : o.serving.rate(), Integer.parseInt(args[++i]));
          case "--start-rate" -> o.startRate = Double.parseDouble(args[++i]);
          case "--objective-p99-ms" -> o.objectiveP99Ms = Long.parseLong(args[++i]);
          case "--step-seconds" -> o.stepSeconds = Integer.parseInt(args[++i]);
          case "--prime-seconds" -> o.primeSeconds = Integer.parseInt(args[++i]);
          case "--max-steps" -> o.maxSteps = Integer.parseInt(args[++i]);
          case "--refine-steps" -> o.refineSteps = Integer.parseInt(args[++i]);
          case "--drain-seconds" -> o.drain = Duration.ofSeconds(Long.parseLong(args[++i]));
          case "--no-baseline" -> o.baseline = false;
          case "--trace-path" -> o.tracePath = true;
          case "--keep-work-dir" -> o.keepWorkDir = true;
          case "--start-together" -> o.startTogether = true;
          case "--faults" -> o.faults = args[++i];
          case "--fault-seed" -> o.faultSeed = Long.parseLong(args[++i]);
          case "--fault-gap-seconds" -> {
            String[] range = args[++i].split(":");
            o.faultGapMs =
                new long[] {Long.parseLong(range[0]) * 1000, Long.parseLong(range[1]) * 1000};
          }
          case "--quiet-seconds" -> o.quietSeconds = Integer.parseInt(args[++i]);
          case "--scenarios" -> o.scenariosDir = Path.of(args[++i]);
          case "--results" -> o.resultsDir = Path.of(args[++i]);
          case "--readme" -> {
            String v = args[++i];
            o.readme = v.equals("none") ? null : Path.of(v);
          }
          case "--service-jar" -> serviceJar = args[++i];
          case "--set" -> {
            String[] kv = args[++i].split("=", 2);
            o.settings.put(kv[0], kv[1]);
          }
          default -> throw new IllegalArgumentException("Unknown option " + a + "\n" + USAGE);
        }
      }
      if (o.scenario == null) {
        throw new IllegalArgumentException("--scenario is required\n" + USAGE);
      }
      o.classpaths =
          new ServiceUnderTest.Classpaths(
              serviceJar != null ? serviceJar : defaultServiceJar(),
              System.getProperty("java.class.path"));
      return o;
    }

    /** The service built in this tree ({@code ../service/target/hindsight.jar}), else the installed one. */
    private static String defaultServiceJar() {
      Path built = Path.of("..", "service", "target", "hindsight.jar");
      if (Files.isRegularFile(built)) {
        return built.toAbsolutePath().normalize().toString();
      }
      try {
        return Path.of(Hindsight.class.getProtectionDomain().getCodeSource().getLocation().toURI())
            .toString();
      } catch (java.net.URISyntaxException e) {
        throw new IllegalStateException(e);
      }
    }

    static final String USAGE =
        "usage: LoadTest --scenario NAME|FILE [--bootstrap-servers H:P] [--guarantee G]"
            + " [--duration S] [--rate N] [--saturation [--start-rate N] [--step-seconds S]"
            + " [--objective-p99-ms MS] [--max-steps N] [--refine-steps N]] [--no-baseline]"
            + " [--start-together] [--trace-path] [--serving-rate N [--serving-batch B]]"
            + " [--results DIR]"
            + " [--faults kill=N,restart=N,broker=N,pause=N,delete=N [--fault-seed N]"
            + " [--fault-gap-seconds MIN:MAX] [--quiet-seconds S]]"
            + " [--readme FILE|none]"
            + " [--service-jar JAR] [--set key=value]...";
  }
}
