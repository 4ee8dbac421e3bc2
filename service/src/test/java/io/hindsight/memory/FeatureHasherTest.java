package io.hindsight.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FeatureHasherTest {

  private final FeatureHasher hasher = new FeatureHasher(64);

  @Test
  void shouldPlaceANumericFeatureAsSignedValue() {
    float[] v = hasher.hash(Map.of("price", 2.5));
    int nonZero = 0;
    for (float x : v) {
      if (x != 0) {
        nonZero++;
        assertThat(Math.abs(x)).isEqualTo(2.5f);
      }
    }
    assertThat(nonZero).isEqualTo(1);
    assertThat(hasher.hash(Map.of("price", 5.0))).containsExactly(scaled(v, 2f));
  }

  @Test
  void shouldPlaceAStringFeatureAsSignedOne() {
    float[] v = hasher.hash(Map.of("country", "fr"));
    float sum = 0;
    for (float x : v) {
      sum += Math.abs(x);
    }
    assertThat(sum).isEqualTo(1f);
    assertThat(hasher.hash(Map.of("country", "de"))).isNotEqualTo(v);
  }

  @Test
  void shouldNotDependOnMapOrder() {
    Map<String, Object> a = new LinkedHashMap<>();
    Map<String, Object> b = new LinkedHashMap<>();
    List<String> names = List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l");
    for (int i = 0; i < names.size(); i++) {
      a.put(names.get(i), i * 0.1);
    }
    for (int i = names.size() - 1; i >= 0; i--) {
      b.put(names.get(i), i * 0.1);
    }
    // Dimension 2 forces collisions, where float summation order would show.
    FeatureHasher tiny = new FeatureHasher(2);
    assertThat(tiny.hash(a)).containsExactly(tiny.hash(b));
  }

  @Test
  void shouldKeepTheHashOfVersionOne() {
    // Pins the hash across JVMs and releases: keys computed from it are stored in memories.
    Map<String, Object> features = new HashMap<>();
    features.put("userId", "u-42");
    features.put("age", 31);
    features.put("premium", true);
    float[] v = new FeatureHasher(16, 7).hash(features);
    assertThat(v).containsExactly(GOLDEN);
  }

  // "age" (+31) and one categorical feature (−1) collide at 9; the other lands at 8.
  private static final float[] GOLDEN = {0, 0, 0, 0, 0, 0, 0, 0, 1, 30, 0, 0, 0, 0, 0, 0};

  @Test
  void shouldSkipNullValues() {
    Map<String, Object> features = new HashMap<>();
    features.put("missing", null);
    assertThat(hasher.hash(features)).containsOnly(0f);
  }

  @Test
  void shouldRejectNonFiniteAndUnsupportedValuesNamingTheFeature() {
    assertThatThrownBy(() -> hasher.hash(Map.of("ctr", Double.NaN)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ctr");
    assertThatThrownBy(() -> hasher.hash(Map.of("tags", List.of("x"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("tags");
  }

  @Test
  void shouldSeparateNameAndValue() {
    assertThat(hasher.hash(Map.of("a=b", "c"))).isNotEqualTo(hasher.hash(Map.of("a", "b=c")));
  }

  private static float[] scaled(float[] v, float factor) {
    float[] out = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = v[i] * factor;
    }
    return out;
  }
}
