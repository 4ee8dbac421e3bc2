package io.hindsight.loadtests;

import io.hindsight.memory.ErrorMemories;
import io.hindsight.memory.ErrorMemory;
import io.hindsight.memory.FieldMemories;
import io.hindsight.memory.FieldMemory;
import io.hindsight.memory.FieldMemorySettings;
import io.hindsight.memory.LabelledSample;
import io.hindsight.memory.SketchSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Wall time of what a model version's start and end cost the replica, which does both under its
 * lock: opening a new version's sketch and a Chronicle field memory (default sizes), and then,
 * after {@code samples} writes have changed most of the sketch's pages, closing it (written back
 * to its file) against discarding it (an expired version, deleted next). Rounds alternate close and
 * discard; the first round also pays Chronicle's one-off class generation.
 *
 * <p>{@code java <chronicle flags> -cp target/benchmarks.jar
 * io.hindsight.loadtests.MemoryLifecycleProbe [DIR] [ROUNDS] [SAMPLES]}
 */
public final class MemoryLifecycleProbe {

  private MemoryLifecycleProbe() {}

  public static void main(String[] args) throws IOException {
    Path parent = Path.of(args.length > 0 ? args[0] : System.getProperty("java.io.tmpdir"));
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 6;
    int samples = args.length > 2 ? Integer.parseInt(args[2]) : 20_000;
    SketchSettings settings = SketchSettings.defaults(64);
    FieldMemorySettings field = new FieldMemorySettings("userId", 1.0, 0, 1_000_000);
    SplittableRandom random = new SplittableRandom(1);
    Path root = Files.createTempDirectory(parent, "hindsight-lifecycle-");
    try {
      for (int round = 0; round < rounds; round++) {
        Path dir = Files.createDirectory(root.resolve("round-" + round));
        long start = System.nanoTime();
        ErrorMemory sketch = ErrorMemories.open(ErrorMemories.OFF_HEAP, settings, dir);
        long sketchOpen = System.nanoTime();
        FieldMemory fields = FieldMemories.open(FieldMemories.CHRONICLE, field, dir);
        long fieldOpen = System.nanoTime();
        for (int i = 0; i < samples; i++) {
          float[] key = new float[settings.dimension()];
          for (int j = 0; j < key.length; j++) {
            key[j] = (float) random.nextGaussian();
          }
          sketch.write(new LabelledSample(key, random.nextInt(2), random.nextDouble(), 0));
        }
        long written = System.nanoTime();
        boolean discard = round % 2 == 1;
        if (discard) {
          sketch.discard();
          fields.discard();
        } else {
          sketch.close();
          fields.close();
        }
        long ended = System.nanoTime();
        System.out.printf(
            "round %d: open sketch %.1f ms, open field memory %.1f ms, %d writes %.0f ms,"
                + " %s %.1f ms%n",
            round,
            (sketchOpen - start) / 1e6,
            (fieldOpen - sketchOpen) / 1e6,
            samples,
            (written - fieldOpen) / 1e6,
            discard ? "discard" : "close",
            (ended - written) / 1e6);
      }
    } finally {
      try (Stream<Path> files = Files.walk(root)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
