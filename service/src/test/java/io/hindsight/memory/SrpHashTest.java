package io.hindsight.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SrpHashTest {

  @Test
  void shouldGiveTheSameBucketsForTheSameSeed() {
    SrpHash a = new SrpHash(16, 12, 32, 7);
    SrpHash b = new SrpHash(16, 12, 32, 7);
    SplittableRandom random = new SplittableRandom(1);
    for (int i = 0; i < 100; i++) {
      float[] key = TestData.gaussian(random, 32);
      for (int k = 0; k < 16; k++) {
        assertThat(a.bucket(k, key)).isEqualTo(b.bucket(k, key));
      }
    }
  }

  @Test
  void shouldKeepTheHyperplanesOfVersionOne() {
    // Pins the generator: a change here silently invalidates every persisted memory and replay.
    SrpHash hash = new SrpHash(4, 12, 8, 42);
    float[] key = {0.5f, -1f, 0.25f, 2f, 0f, -0.75f, 1.5f, -2f};
    int[] buckets = new int[4];
    hash.buckets(key, buckets);
    assertThat(buckets).containsExactly(GOLDEN);
  }

  private static final int[] GOLDEN = {4049, 1191, 3911, 3531};

  @Test
  void shouldChangeBucketsWithTheSeed() {
    SrpHash a = new SrpHash(8, 12, 32, 1);
    SrpHash b = new SrpHash(8, 12, 32, 2);
    SplittableRandom random = new SplittableRandom(3);
    int same = 0;
    for (int i = 0; i < 200; i++) {
      float[] key = TestData.gaussian(random, 32);
      if (a.bucket(0, key) == b.bucket(0, key)) {
        same++;
      }
    }
    assertThat(same).isLessThan(10);
  }

  @Test
  void shouldAgreeBetweenOneArrayAndAllArrays() {
    SrpHash hash = new SrpHash(32, 10, 48, 11);
    SplittableRandom random = new SplittableRandom(5);
    int[] all = new int[32];
    SrpHash.Workspace workspace = hash.newWorkspace();
    for (int i = 0; i < 50; i++) {
      float[] key = TestData.sparse(random, 48, 0.3);
      hash.buckets(key, all, workspace);
      for (int k = 0; k < 32; k++) {
        assertThat(all[k]).isEqualTo(hash.bucket(k, key)).isBetween(0, (1 << 10) - 1);
      }
    }
  }

  @Test
  void shouldGiveKeysHashedTogetherTheBucketsOfEachAlone() {
    // Odd dimensions and counts reach the tails; sparse, tiny and zero keys the skipped groups.
    for (int dimension : new int[] {1, 7, 32, 65}) {
      SrpHash hash = new SrpHash(16, 12, dimension, 5);
      SplittableRandom random = new SplittableRandom(dimension);
      float[][] keys = new float[23][];
      for (int j = 0; j < keys.length; j++) {
        keys[j] = TestData.gaussian(random, dimension);
        for (int i = 0; i < dimension; i++) {
          double p = random.nextDouble();
          keys[j][i] *= p < 0.4 ? 0f : p < 0.45 ? 1e-40f : 1f;
        }
      }
      keys[3] = new float[dimension];
      int[][] together = new int[keys.length + 2][16];
      hash.buckets(keys, keys.length, together, hash.newWorkspace());
      for (int j = 0; j < keys.length; j++) {
        int[] alone = new int[16];
        hash.buckets(keys[j], alone);
        assertThat(together[j]).as("key %d at d = %d", j, dimension).containsExactly(alone);
      }
    }
  }

  @Test
  void shouldIgnoreThePositiveScaleOfAKey() {
    SrpHash hash = new SrpHash(16, 12, 16, 3);
    float[] key = TestData.gaussian(new SplittableRandom(8), 16);
    float[] scaled = new float[16];
    for (int i = 0; i < 16; i++) {
      scaled[i] = key[i] * 8f;
    }
    for (int k = 0; k < 16; k++) {
      assertThat(hash.bucket(k, scaled)).isEqualTo(hash.bucket(k, key));
    }
  }

  @Test
  void shouldCollideMoreOftenForCloserKeys() {
    // SRP: a bit agrees with probability 1 − θ/π, so near keys share whole buckets far more often.
    SrpHash hash = new SrpHash(256, 8, 32, 9);
    SplittableRandom random = new SplittableRandom(4);
    float[] key = TestData.gaussian(random, 32);
    float[] near = key.clone();
    for (int i = 0; i < 32; i++) {
      near[i] += 0.1f * (float) random.nextDouble(-1, 1);
    }
    float[] far = TestData.gaussian(random, 32);
    int nearHits = 0;
    int farHits = 0;
    for (int k = 0; k < 256; k++) {
      int b = hash.bucket(k, key);
      nearHits += hash.bucket(k, near) == b ? 1 : 0;
      farHits += hash.bucket(k, far) == b ? 1 : 0;
    }
    assertThat(nearHits).isGreaterThan(150);
    assertThat(farHits).isLessThan(20);
  }

  @Test
  void shouldPutTheZeroKeyInBucketZero() {
    SrpHash hash = new SrpHash(4, 12, 8, 1);
    assertThat(hash.bucket(3, new float[8])).isZero();
  }

  @Test
  void shouldRejectAKeyOfTheWrongDimension() {
    SrpHash hash = new SrpHash(4, 12, 8, 1);
    assertThatThrownBy(() -> hash.bucket(0, new float[7]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("dimension");
  }
}
