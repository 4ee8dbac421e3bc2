package io.hindsight.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ExactKnnMemoryTest extends ErrorMemoryContract {

  @Override
  protected ErrorMemory newMemory(SketchSettings settings) {
    return new ExactKnnMemory(settings, 10_000);
  }

  /** Brute force: the K most similar samples whose weight reaches nMin. */
  @Override
  protected List<Neighbour> referenceNeighbours(
      SketchSettings s, List<LabelledSample> written, float[] query, long timestamp) {
    List<Neighbour> candidates = new ArrayList<>();
    for (LabelledSample sample : written) {
      if (weight(s, sample.timestamp(), timestamp) < s.nMin()) {
        continue;
      }
      double[] key = new double[sample.key().length];
      for (int i = 0; i < key.length; i++) {
        key[i] = sample.key()[i];
      }
      candidates.add(new Neighbour(cosine(query, key), sample.label(), sample.baseScore()));
    }
    candidates.sort(Comparator.comparingDouble(Neighbour::similarity).reversed());
    return candidates.subList(0, Math.min(s.arrays(), candidates.size()));
  }

  @Test
  void shouldKeepOnlyTheMostRecentSamples() {
    SketchSettings s = small();
    try (ExactKnnMemory m = new ExactKnnMemory(s, 3)) {
      SplittableRandom random = new SplittableRandom(1);
      for (int i = 0; i < 5; i++) {
        m.write(new LabelledSample(TestData.gaussian(random, 8), i % 2, 0.5, i));
      }
      assertThat(m.samples()).isEqualTo(5);
      assertThat(m.bucketsInUse()).isEqualTo(3);
    }
  }

  @Test
  void shouldFindTheExactNearestNeighbour() {
    SketchSettings s = small().withArrays(1).withLambda(1);
    try (ExactKnnMemory m = new ExactKnnMemory(s, 100)) {
      SplittableRandom random = new SplittableRandom(2);
      for (int i = 0; i < 50; i++) {
        m.write(new LabelledSample(TestData.gaussian(random, 8), 0, 0.5, 0));
      }
      float[] key = TestData.gaussian(random, 8);
      m.write(new LabelledSample(key, 1, 0.5, 0));
      Readout r = m.read(key, 0.5, 0);
      assertThat(r.evidence()).isOne();
      assertThat(r.meanLabel()).isEqualTo(1.0);
      assertThat(r.compensatedScore()).isEqualTo(1.0);
    }
  }

  /**
   * Without decay every sample is a candidate and reads skip those below a floor that K samples
   * reach; with decay (here weight exactly 1) none is skipped. The readouts must be identical, ties
   * in similarity (repeated keys) and an overflowing ring included.
   */
  @Test
  void shouldReadTheSameNeighboursWhetherOrNotSamplesBelowTheFloorAreSkipped() {
    SketchSettings skipping = small().withArrays(16);
    SketchSettings scanning = skipping.withHalfLifeMs(86_400_000L);
    try (ExactKnnMemory a = new ExactKnnMemory(skipping, 500);
        ExactKnnMemory b = new ExactKnnMemory(scanning, 500)) {
      SplittableRandom random = new SplittableRandom(3);
      List<float[]> keys = new ArrayList<>();
      for (int i = 0; i < 1_200; i++) {
        float[] key =
            !keys.isEmpty() && random.nextInt(4) == 0
                ? keys.get(random.nextInt(keys.size()))
                : TestData.gaussian(random, 8);
        keys.add(key);
        LabelledSample sample = new LabelledSample(key, random.nextInt(2), random.nextDouble(), 7);
        a.write(sample);
        b.write(sample);
        if (i % 10 == 0) {
          float[] query = random.nextInt(3) == 0 ? key : TestData.gaussian(random, 8);
          double score = random.nextDouble();
          assertThat(a.read(query, score, 7)).isEqualTo(b.read(query, score, 7));
        }
      }
    }
  }
}
