package io.hindsight.memory;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Random keys and samples for tests, reproducible from a seed. */
final class TestData {

  private TestData() {}

  static float[] gaussian(SplittableRandom random, int dimension) {
    float[] key = new float[dimension];
    for (int i = 0; i < dimension; i++) {
      key[i] = (float) nextGaussian(random);
    }
    return key;
  }

  static float[] sparse(SplittableRandom random, int dimension, double density) {
    float[] key = new float[dimension];
    for (int i = 0; i < dimension; i++) {
      if (random.nextDouble() < density) {
        key[i] = (float) nextGaussian(random);
      }
    }
    return key;
  }

  /**
   * Samples around a few cluster centres, each cluster with its own error rate, so reads have
   * something to find.
   */
  static List<LabelledSample> clustered(
      SplittableRandom random, int count, int dimension, int clusters, long startMs, long spanMs) {
    float[][] centres = new float[clusters][];
    double[] clickRate = new double[clusters];
    for (int c = 0; c < clusters; c++) {
      centres[c] = gaussian(random, dimension);
      clickRate[c] = random.nextDouble();
    }
    List<LabelledSample> samples = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int c = random.nextInt(clusters);
      float[] key = centres[c].clone();
      for (int j = 0; j < dimension; j++) {
        key[j] += 0.3f * (float) nextGaussian(random);
      }
      double label = random.nextDouble() < clickRate[c] ? 1.0 : 0.0;
      double base = Math.round(random.nextDouble() * 1000) / 1000.0;
      long t = startMs + (spanMs == 0 ? 0 : random.nextLong(spanMs));
      samples.add(new LabelledSample(key, label, base, t));
    }
    return samples;
  }

  private static double nextGaussian(SplittableRandom random) {
    double u1 = 1.0 - random.nextDouble();
    double u2 = random.nextDouble();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
}
