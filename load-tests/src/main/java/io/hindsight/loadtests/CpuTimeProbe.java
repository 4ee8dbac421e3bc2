package io.hindsight.loadtests;

import io.hindsight.memory.ErrorMemories;
import io.hindsight.memory.ErrorMemory;
import io.hindsight.memory.LabelledSample;
import io.hindsight.memory.SketchSettings;
import io.hindsight.memory.SrpHash;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * CPU time per hash, read and write on a full memory, from the thread's CPU clock: unlike JMH's
 * wall clock it does not count time the thread waits for a core, so it stays readable on a shared
 * machine. A complement to the JMH numbers, not a replacement (no fork isolation, no blackhole).
 *
 * <p>{@code java <chronicle flags> -cp target/benchmarks.jar io.hindsight.loadtests.CpuTimeProbe
 * offheap 64 12 64}
 */
public final class CpuTimeProbe {

  private CpuTimeProbe() {}

  public static void main(String[] args) throws IOException {
    String kind = args[0];
    int arrays = Integer.parseInt(args[1]);
    int bits = Integer.parseInt(args[2]);
    int dimension = Integer.parseInt(args[3]);
    ThreadMXBean clock = ManagementFactory.getThreadMXBean();
    SketchSettings settings =
        SketchSettings.defaults(dimension).withArrays(arrays).withBits(bits);
    Path directory = Files.createTempDirectory("hindsight-probe-");
    SplittableRandom random = new SplittableRandom(1);
    SrpHash hash = SrpHash.of(settings);
    SrpHash.Workspace workspace = hash.newWorkspace();
    int[] buckets = new int[arrays];
    try (ErrorMemory memory = ErrorMemories.open(kind, settings, directory)) {
      for (int i = 0; i < 8 << bits; i++) {
        memory.write(new LabelledSample(key(random, dimension), random.nextInt(2), 0.5, 0));
      }
      float[][] queries = new float[4096][];
      LabelledSample[] samples = new LabelledSample[4096];
      for (int i = 0; i < 4096; i++) {
        queries[i] = key(random, dimension);
        samples[i] = new LabelledSample(key(random, dimension), 1, 0.5, 0);
      }
      double sink = 0;
      int n = 20_000;
      for (int round = 0; round < 4; round++) {
        long t0 = clock.getCurrentThreadCpuTime();
        for (int i = 0; i < n; i++) {
          hash.buckets(queries[i & 4095], buckets, workspace);
          sink += buckets[0];
        }
        long t1 = clock.getCurrentThreadCpuTime();
        for (int i = 0; i < n; i++) {
          sink += memory.read(queries[i & 4095], 0.5, 0).compensatedScore();
        }
        long t2 = clock.getCurrentThreadCpuTime();
        for (int i = 0; i < n; i++) {
          memory.write(samples[i & 4095]);
        }
        long t3 = clock.getCurrentThreadCpuTime();
        // The first two rounds warm the JIT up.
        if (round >= 2) {
          System.out.printf(
              "%s K=%d L=%d d=%d CPU µs/op: hash %.2f read %.2f write %.2f%n",
              kind,
              arrays,
              bits,
              dimension,
              (t1 - t0) / 1e3 / n,
              (t2 - t1) / 1e3 / n,
              (t3 - t2) / 1e3 / n);
        }
      }
      if (sink == Double.MIN_VALUE) {
        System.out.println(sink);
      }
    } finally {
      try (var files = Files.walk(directory)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static float[] key(SplittableRandom random, int dimension) {
    float[] v = new float[dimension];
    for (int i = 0; i < dimension; i++) {
      v[i] = (float) (random.nextDouble() * 2 - 1);
    }
    return v;
  }
}
