package io.hindsight.loadtests.harness;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.HdrHistogram.Histogram;

/**
 * A run's result: the JSON file {@code results/<scenario>-<date>.json} and one row appended to the
 * results table in the README (between its {@code load-test-results} markers).
 */
final class Report {
  static final String TABLE_START = "<!-- load-test-results -->";
  static final String TABLE_END = "<!-- /load-test-results -->";

  private Report() {}

  static Map<String, Object> percentilesMs(Histogram micros) {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("count", micros.getTotalCount());
    p.put("p50_ms", ms(micros.getValueAtPercentile(50)));
    p.put("p90_ms", ms(micros.getValueAtPercentile(90)));
    p.put("p99_ms", ms(micros.getValueAtPercentile(99)));
    p.put("p99_9_ms", ms(micros.getValueAtPercentile(99.9)));
    p.put("max_ms", ms(micros.getMaxValue()));
    return p;
  }

  static Map<String, Object> step(TrafficRun.Step step) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("target_rate", round(step.targetRate()));
    s.put("offered_per_second", round(step.offeredPerSecond()));
    s.put("sustained_per_second", round(step.sustainedPerSecond()));
    s.put("latency", percentilesMs(step.latencyMicros()));
    s.put("missing_at_end", step.missing());
    s.put("generator_max_lag_ms", ms(step.generatorMaxLagMicros()));
    return s;
  }

  /** Cores, memory, Java and the load average, which on a shared machine matters most. */
  static Map<String, Object> machine() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("cores", Runtime.getRuntime().availableProcessors());
    m.put(
        "memory_bytes",
        ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
            .getTotalMemorySize());
    m.put(
        "java",
        System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
    m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
    return m;
  }

  /** The 1, 5 and 15 minute load averages, as {@code uptime} prints them. */
  static String loadAverage() {
    try {
      String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
      return parts[0] + " " + parts[1] + " " + parts[2];
    } catch (IOException | RuntimeException e) {
      return String.format(
          Locale.ROOT, "%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }
  }

  /** The {@code failures} a result file lists (a fault run's verification); none for others. */
  static List<String> failures(Path file) throws IOException {
    List<String> failures = new ArrayList<>();
    new ObjectMapper().readTree(file.toFile()).path("failures").forEach(f -> failures.add(f.asText()));
    return failures;
  }

  static void writeJson(Map<String, Object> result, Path file) {
    try {
      Files.createDirectories(file.getParent());
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .writeValue(file.toFile(), result);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write " + file, e);
    }
  }

  /**
   * Puts the run's row into the README's results table, in place of the row of the same scenario
   * (with its options) and guarantee: the table keeps the latest run of each, the result files keep
   * every run. A README without the table is left.
   */
  static void appendRow(Path readme, String row) {
    try {
      List<String> lines = new ArrayList<>(Files.readAllLines(readme));
      int start = lines.indexOf(TABLE_START);
      int end = lines.indexOf(TABLE_END);
      if (start < 0 || end < start) {
        return;
      }
      String run = runOf(row);
      for (int i = end - 1; i > start; i--) {
        if (lines.get(i).startsWith("| ") && runOf(lines.get(i)).equals(run)) {
          lines.remove(i);
          end--;
        }
      }
      lines.add(end, row);
      Files.write(readme, lines);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot update " + readme, e);
    }
  }

  /** A row's scenario (with options) and guarantee: its third and fourth cells. */
  private static String runOf(String row) {
    String[] cells = row.split("\\|", -1);
    return cells.length > 4 ? cells[3].strip() + "|" + cells[4].strip() : row;
  }

  /** The README row: every figure beside the machine and load it was measured on. */
  @SuppressWarnings("unchecked")
  static String row(Map<String, Object> r) {
    Map<String, Object> machine = (Map<String, Object>) r.get("machine");
    Map<String, Object> h = (Map<String, Object>) r.get("hindsight");
    Map<String, Object> headline = (Map<String, Object>) r.get("headline");
    Map<String, Object> latency = (Map<String, Object>) headline.get("latency");
    Map<String, Object> memory = (Map<String, Object>) h.get("memory");
    Map<String, Object> dlq = (Map<String, Object>) h.get("dlq");
    Map<String, Object> freshness = (Map<String, Object>) h.getOrDefault("freshness", Map.of());
    Map<String, Object> fc = (Map<String, Object>) freshness.getOrDefault("compensation", Map.of());
    Map<String, Object> fr = (Map<String, Object>) freshness.getOrDefault("rules", Map.of());
    long heap = ((Number) memory.get("heap_used_max_bytes")).longValue();
    long offHeap =
        ((Number) memory.get("nonheap_used_bytes")).longValue()
            + ((Number) memory.get("direct_buffer_bytes")).longValue()
            + ((Number) memory.get("mapped_buffer_bytes")).longValue();
    return String.format(
        Locale.ROOT,
        "| %s | %d cores, %d GiB, Java %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s"
            + " | %s / %s / %s | %s | %s |",
        r.get("date").toString().substring(0, 16).replace('T', ' '),
        machine.get("cores"),
        Math.round(((Number) machine.get("memory_bytes")).doubleValue() / (1L << 30)),
        System.getProperty("java.specification.version"),
        r.get("scenario")
            + (r.containsKey("saturation") ? " (saturation)" : "")
            + options(r.get("command").toString()),
        r.get("guarantee"),
        headline.get("offered_per_second"),
        headline.get("sustained_per_second"),
        r.getOrDefault("ratio_to_pass_through", "–"),
        latency.get("p50_ms"),
        latency.get("p99_ms"),
        latency.get("p99_9_ms"),
        fc.getOrDefault("p99_ms", "–"),
        fr.getOrDefault("p99_ms", "–"),
        mb(heap) + " MB of " + memory.get("xmx"),
        mb(offHeap) + " MB",
        mb(((Number) memory.get("resident_max_bytes")).longValue()) + " MB RSS",
        mb(((Number) memory.get("state_dir_bytes")).longValue()) + " MB files",
        dlq.get("bad_records_accounted")
            + "/"
            + ((Map<String, Object>) h.get("counts")).get("bad_records_sent")
            + goodDeadLettered(dlq),
        r.get("load_average"));
  }

  /** Good records in {@code dlq} (outcomes rejected late or orphaned), shown only when any were. */
  private static String goodDeadLettered(Map<String, Object> dlq) {
    long good = ((Number) dlq.getOrDefault("good_records_dead_lettered", 0)).longValue();
    return good == 0 ? "" : " + " + good + " good";
  }

  /**
   * The command's options that change what was measured ({@code --set}, {@code --rate}, …), in
   * backticks, so a row measured with other settings says so; the scenario and the guarantee have
   * their own columns, and where results go or how long to wait does not change a figure.
   */
  static String options(String command) {
    Set<String> unshaping =
        Set.of(
            "--scenario",
            "--guarantee",
            "--results",
            "--readme",
            "--scenarios",
            "--service-jar",
            "--drain-seconds");
    List<String> kept = new ArrayList<>();
    String[] words = command.split(" ");
    for (int i = 0; i < words.length; i++) {
      if (unshaping.contains(words[i])) {
        i++;
      } else if (!words[i].equals("--keep-work-dir")) {
        kept.add(words[i]);
      }
    }
    return kept.isEmpty() ? "" : " `" + String.join(" ", kept) + "`";
  }

  static double ms(long micros) {
    return Math.round(micros / 100.0) / 10.0;
  }

  static double round(double value) {
    return Math.round(value * 10) / 10.0;
  }

  private static long mb(long bytes) {
    return Math.round(bytes / 1e6);
  }
}
