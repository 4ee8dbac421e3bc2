package io.hindsight.loadtests.harness;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The traffic of one load test, read from a properties file in {@code load-tests/scenarios/}. Times
 * are seconds from the start of the run unless the key says {@code .ms}; a negative time means
 * "never". Keys under {@code set.} are passed to the service as {@code --set key=value}.
 *
 * @param rate predictions per second, the open-loop target
 * @param burstAtS when the rate steps up by {@code burstFactor} for {@code burstS} seconds
 * @param outcomeRatio share of predictions that get an outcome (label 1); the rest are implicit
 *     negatives
 * @param outcomeDelayMeanMs mean of the exponential delay between a prediction and its outcome
 * @param outcomeDelayMaxMs the delay's cap, kept inside the attribution window
 * @param models model ids ({@code m0}, {@code m1}, ...), each with {@code versions} live versions
 * @param versionChangeAtS when every model moves to new versions with empty memories
 * @param interactionRate sessions per second of the conversational front end
 * @param users distinct users the sessions are spread over
 * @param failingUtterances utterances that always fail and are rephrased into one that succeeds
 * @param failingShare share of sessions that start with a failing utterance
 * @param stormAtS when {@code stormUtterances} new failing utterances appear at once, said in
 *     {@code stormShare} of the sessions for {@code stormS} seconds
 * @param badShare share of prediction slots that carry a bad record instead (to the DLQ)
 * @param probeIntervalMs how often a freshness probe starts (0: no probes)
 * @param serviceHeap the service's {@code -Xmx}
 * @param jvmOptions more options for the broker's and the service's JVMs, separated by spaces
 * @param settings service configuration, passed as {@code --set}
 * @param vocabulary a large-vocabulary interaction stream beside the generated sessions, or null
 */
public record Scenario(
    String name,
    double rate,
    int durationS,
    int warmupS,
    int burstAtS,
    double burstFactor,
    int burstS,
    double outcomeRatio,
    long outcomeDelayMeanMs,
    long outcomeDelayMaxMs,
    int dimension,
    int models,
    int versions,
    int versionChangeAtS,
    double interactionRate,
    int users,
    int failingUtterances,
    double failingShare,
    int stormAtS,
    int stormUtterances,
    double stormShare,
    int stormS,
    double badShare,
    long probeIntervalMs,
    String serviceHeap,
    String jvmOptions,
    Map<String, String> settings,
    Vocabulary vocabulary) {

  /**
   * The sessions of a {@code hindsight dataset sessions} log, replayed at {@code turnsPerSecond}:
   * each session keeps its turns' gaps, sessions start one after another in the log's order, and a
   * user's sessions go round {@code userCopies} user ids so that they do not run into each other.
   *
   * @param log the {@code .jsonl} or {@code .jsonl.gz} the generator wrote
   */
  public record Vocabulary(Path log, double turnsPerSecond, int userCopies) {}

  public static final String GUARANTEE = "processing.guarantee";
  public static final String ATTRIBUTION_WINDOW = "compensation.attribution.window.ms";

  /** A scenario by name (a file in {@code scenariosDir}) or by path. */
  public static Scenario load(String nameOrPath, Path scenariosDir) {
    Path file = Path.of(nameOrPath);
    if (!Files.exists(file)) {
      file = scenariosDir.resolve(nameOrPath + ".properties");
    }
    Properties p = new Properties();
    try (Reader reader = Files.newBufferedReader(file)) {
      p.load(reader);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read scenario " + file, e);
    }
    String fileName = file.getFileName().toString();
    return fromProperties(fileName.replaceFirst("\\.properties$", ""), p);
  }

  static Scenario fromProperties(String name, Properties p) {
    Map<String, String> settings = new TreeMap<>();
    for (String key : p.stringPropertyNames()) {
      if (key.startsWith("set.")) {
        settings.put(key.substring(4), p.getProperty(key).trim());
      }
    }
    Scenario s =
        new Scenario(
            p.getProperty("name", name),
            dbl(p, "rate", 500),
            integer(p, "duration.s", 90),
            integer(p, "warmup.s", 15),
            integer(p, "burst.at.s", -1),
            dbl(p, "burst.factor", 4),
            integer(p, "burst.s", 60),
            dbl(p, "outcome.ratio", 0.3),
            lng(p, "outcome.delay.mean.ms", 1000),
            lng(p, "outcome.delay.max.ms", 4000),
            integer(p, "embedding.dimension", 64),
            integer(p, "models", 2),
            integer(p, "versions", 1),
            integer(p, "version.change.at.s", -1),
            dbl(p, "interaction.rate", 20),
            integer(p, "users", 2000),
            integer(p, "failing.utterances", 20),
            dbl(p, "failing.share", 0.2),
            integer(p, "storm.at.s", -1),
            integer(p, "storm.utterances", 0),
            dbl(p, "storm.share", 0),
            integer(p, "storm.s", 0),
            dbl(p, "bad.share", 0),
            lng(p, "probe.interval.ms", 2000),
            p.getProperty("service.heap", "1g").trim(),
            p.getProperty("jvm.options", "").trim(),
            Map.copyOf(settings),
            vocabulary(p));
    s.validate();
    return s;
  }

  private void validate() {
    require(rate > 0, "rate must be positive");
    require(durationS > 0 && warmupS >= 0, "duration.s must be positive, warmup.s not negative");
    require(outcomeRatio >= 0 && outcomeRatio <= 1, "outcome.ratio must be in [0,1]");
    require(badShare >= 0 && badShare < 1, "bad.share must be in [0,1)");
    require(failingShare >= 0 && failingShare <= 1, "failing.share must be in [0,1]");
    require(
        outcomeDelayMaxMs < attributionWindowMs(),
        "outcome.delay.max.ms must stay below " + ATTRIBUTION_WINDOW);
    require(models > 0 && versions > 0 && dimension > 0, "models, versions, dimension > 0");
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw new IllegalArgumentException("Scenario: " + message);
    }
  }

  /** The same scenario with other service settings, duration or rate (command-line overrides). */
  public Scenario with(Map<String, String> moreSettings, Integer duration, Double newRate) {
    Map<String, String> merged = new TreeMap<>(settings);
    merged.putAll(moreSettings);
    return new Scenario(
        name,
        newRate == null ? rate : newRate,
        duration == null ? durationS : duration,
        warmupS,
        burstAtS,
        burstFactor,
        burstS,
        outcomeRatio,
        outcomeDelayMeanMs,
        outcomeDelayMaxMs,
        dimension,
        models,
        versions,
        versionChangeAtS,
        interactionRate,
        users,
        failingUtterances,
        failingShare,
        stormAtS,
        stormUtterances,
        stormShare,
        stormS,
        badShare,
        probeIntervalMs,
        serviceHeap,
        jvmOptions,
        Map.copyOf(merged),
        vocabulary);
  }

  /**
   * This traffic at a constant {@code newRate}, without bursts, storms or version changes: one step
   * of the saturation search.
   */
  public Scenario steadyAt(double newRate, int newDurationS, int newWarmupS) {
    return new Scenario(
        name,
        newRate,
        newDurationS,
        newWarmupS,
        -1,
        1,
        0,
        outcomeRatio,
        outcomeDelayMeanMs,
        outcomeDelayMaxMs,
        dimension,
        models,
        versions,
        -1,
        interactionRate,
        users,
        failingUtterances,
        failingShare,
        -1,
        0,
        0,
        0,
        badShare,
        probeIntervalMs,
        serviceHeap,
        jvmOptions,
        settings,
        vocabulary);
  }

  /** Predictions per second at {@code secondsIn} into the run. */
  public double rateAt(double secondsIn) {
    boolean burst = burstAtS >= 0 && secondsIn >= burstAtS && secondsIn < burstAtS + burstS;
    return burst ? rate * burstFactor : rate;
  }

  public String guarantee() {
    return settings.getOrDefault(GUARANTEE, "exactly_once_v2");
  }

  public long attributionWindowMs() {
    return Long.parseLong(settings.getOrDefault(ATTRIBUTION_WINDOW, "600000"));
  }

  /** Distinct users whose reformulation completes a rule's evidence (the service's thresholds). */
  public int ruleUsers() {
    return Math.max(
        Integer.parseInt(settings.getOrDefault("rewrite.min.source.users", "3")),
        Integer.parseInt(settings.getOrDefault("rewrite.min.transition.users", "3")));
  }

  public int memoryArrays() {
    return Integer.parseInt(settings.getOrDefault("compensation.memory.arrays", "64"));
  }

  public long sessionGapMs() {
    return Long.parseLong(settings.getOrDefault("rewrite.session.gap.ms", "45000"));
  }

  /** {@link #jvmOptions} as arguments. */
  public List<String> jvmOptionList() {
    return jvmOptions.isEmpty() ? List.of() : List.of(jvmOptions.split("\\s+"));
  }

  public boolean hasInteractions() {
    return interactionRate > 0;
  }

  /**
   * {@code vocabulary.log} (a path, {@code ${VAR}} read from the environment), {@code
   * vocabulary.turns.per.s} and {@code vocabulary.user.copies}.
   */
  private static Vocabulary vocabulary(Properties p) {
    String log = p.getProperty("vocabulary.log");
    if (log == null || log.isBlank()) {
      return null;
    }
    java.util.regex.Matcher variable = java.util.regex.Pattern.compile("\\$\\{(\\w+)}").matcher(log.trim());
    StringBuilder path = new StringBuilder();
    while (variable.find()) {
      String value = System.getenv(variable.group(1));
      if (value == null) {
        throw new IllegalArgumentException("Scenario: vocabulary.log needs $" + variable.group(1));
      }
      variable.appendReplacement(path, java.util.regex.Matcher.quoteReplacement(value));
    }
    variable.appendTail(path);
    Vocabulary v =
        new Vocabulary(
            Path.of(path.toString()),
            dbl(p, "vocabulary.turns.per.s", 5000),
            integer(p, "vocabulary.user.copies", 8));
    require(Files.exists(v.log()), "vocabulary.log " + v.log() + " does not exist");
    require(v.turnsPerSecond() > 0 && v.userCopies() > 0, "vocabulary rates must be positive");
    return v;
  }

  private static double dbl(Properties p, String key, double fallback) {
    String v = p.getProperty(key);
    return v == null ? fallback : Double.parseDouble(v.trim());
  }

  private static int integer(Properties p, String key, int fallback) {
    String v = p.getProperty(key);
    return v == null ? fallback : Integer.parseInt(v.trim());
  }

  private static long lng(Properties p, String key, long fallback) {
    String v = p.getProperty(key);
    return v == null ? fallback : Long.parseLong(v.trim());
  }
}
