package io.hindsight.loadtests;

import io.hindsight.memory.ErrorMemories;
import io.hindsight.memory.ErrorMemory;
import io.hindsight.memory.LabelledSample;
import io.hindsight.memory.Readout;
import io.hindsight.memory.SketchSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * A full error memory and pre-made inputs, so a benchmark measures only the read or the write.
 * Full: 8 · 2^L random samples, which leaves about e^-8 (0.03 %) of the buckets empty.
 */
final class MemoryFixture implements AutoCloseable {

  private static final int INPUTS = 4096;

  private final Path directory;
  private final ErrorMemory memory;
  private final float[][] queries = new float[INPUTS][];
  private final double[] bases = new double[INPUTS];
  private final LabelledSample[] samples = new LabelledSample[INPUTS];
  private int next;

  MemoryFixture(String kind, int arrays, int bits, int dimension) {
    try {
      directory = Files.createTempDirectory("hindsight-bench-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    SketchSettings settings =
        SketchSettings.defaults(dimension).withArrays(arrays).withBits(bits);
    memory = ErrorMemories.open(kind, settings, directory);
    SplittableRandom random = new SplittableRandom(42);
    int fill = 8 << bits;
    for (int i = 0; i < fill; i++) {
      memory.write(sample(random, dimension));
    }
    for (int i = 0; i < INPUTS; i++) {
      queries[i] = gaussian(random, dimension);
      bases[i] = random.nextDouble();
      samples[i] = sample(random, dimension);
    }
  }

  Readout read() {
    int i = next++ & (INPUTS - 1);
    return memory.read(queries[i], bases[i], 0);
  }

  void write() {
    memory.write(samples[next++ & (INPUTS - 1)]);
  }

  long bucketsInUse() {
    return memory.bucketsInUse();
  }

  @Override
  public void close() {
    memory.close();
    try (Stream<Path> files = Files.walk(directory)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static LabelledSample sample(SplittableRandom random, int dimension) {
    double base = random.nextDouble();
    double label = random.nextDouble() < base ? 1 : 0;
    return new LabelledSample(gaussian(random, dimension), label, base, 0);
  }

  private static float[] gaussian(SplittableRandom random, int dimension) {
    float[] v = new float[dimension];
    for (int i = 0; i < dimension; i++) {
      double u1 = 1.0 - random.nextDouble();
      double u2 = random.nextDouble();
      v[i] = (float) (Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
    }
    return v;
  }
}
