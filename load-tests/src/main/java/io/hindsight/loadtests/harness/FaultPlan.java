package io.hindsight.loadtests.harness;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The faults of one run, drawn from a seed: their kinds in a shuffled order, the instance each
 * targets, and the quiet gap before each. The moments themselves also depend on how long each
 * recovery takes, since a fault is injected only after the previous one has recovered.
 */
record FaultPlan(String spec, long seed, List<Planned> faults) {

  /** What is done to whom. */
  enum Kind {
    INSTANCE_SIGKILL("kill", "instance SIGKILL, then restart"),
    INSTANCE_RESTART("restart", "instance graceful restart (SIGTERM)"),
    BROKER_SIGKILL("broker", "broker SIGKILL, then restart"),
    INSTANCE_PAUSE("pause", "instance SIGSTOP past its session timeout, then SIGCONT"),
    RECORDS_DELETED("delete", "input records deleted below the groups' committed offsets");

    final String key;
    final String description;

    Kind(String key, String description) {
      this.key = key;
      this.description = description;
    }
  }

  /** One fault: after {@code gapMs} of quiet, {@code kind} on instance {@code instance}. */
  record Planned(Kind kind, int instance, long gapMs, int topic) {}

  /**
   * {@code spec} is {@code kill=20,restart=2,broker=5,pause=5,delete=2} (kinds left out: none);
   * gaps are uniform in [{@code minGapMs}, {@code maxGapMs}].
   */
  static FaultPlan parse(String spec, long seed, long minGapMs, long maxGapMs, int instances) {
    Map<Kind, Integer> counts = new LinkedHashMap<>();
    for (String part : spec.split(",")) {
      String[] kv = part.trim().split("=", 2);
      Kind kind = null;
      for (Kind k : Kind.values()) {
        if (k.key.equals(kv[0])) {
          kind = k;
        }
      }
      if (kind == null || kv.length != 2) {
        throw new IllegalArgumentException(
            "--faults: '" + part + "' is not kill|restart|broker|pause|delete=N");
      }
      counts.put(kind, Integer.parseInt(kv[1]));
    }
    List<Kind> kinds = new ArrayList<>();
    counts.forEach((kind, count) -> kinds.addAll(Collections.nCopies(count, kind)));
    Random random = new Random(seed);
    Collections.shuffle(kinds, random);
    List<Planned> faults = new ArrayList<>();
    for (Kind kind : kinds) {
      long gap = minGapMs + (long) (random.nextDouble() * (maxGapMs - minGapMs));
      faults.add(new Planned(kind, random.nextInt(instances), gap, random.nextInt(3)));
    }
    return new FaultPlan(spec, seed, faults);
  }
}
