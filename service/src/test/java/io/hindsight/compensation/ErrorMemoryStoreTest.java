package io.hindsight.compensation;

import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.config.HindsightConfig;
import io.hindsight.memory.CompensationScores;
import io.hindsight.testing.Directories;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The replica outside Kafka Streams: field memories and blends applied from labelled samples,
 * whatever the interleaving of partitions, within their bounds, and across a clean restart.
 */
class ErrorMemoryStoreTest {
  private static final long T0 = 1_600_000_000_000L;
  private final List<Path> directories = new ArrayList<>();

  @AfterEach
  void cleanUp() {
    directories.forEach(Directories::delete);
  }

  private Path directory() throws Exception {
    Path dir = Files.createTempDirectory("hindsight-store");
    directories.add(dir);
    return dir;
  }

  /** One labelled record of the topic: where it was, and what. */
  private record Delivered(int partition, long offset, Sample sample) {}

  /**
   * Samples of two models, each model on its own partition (as the topic keys them), scored by a
   * publisher replica before being labelled, as the prediction processor does.
   */
  private static List<Delivered> workload(CompensationSettings settings, long seed, int count)
      throws Exception {
    ErrorMemoryStore publisher = new ErrorMemoryStore(settings);
    Path dir = Files.createTempDirectory("hindsight-publisher");
    try {
      publisher.open(dir);
      SplittableRandom random = new SplittableRandom(seed);
      List<Delivered> delivered = new ArrayList<>();
      long[] offsets = new long[2];
      for (int i = 0; i < count; i++) {
        int model = random.nextInt(2);
        float[] key = new float[4];
        for (int k = 0; k < 4; k++) {
          key[k] = (float) random.nextGaussian();
        }
        double score = 0.05 + 0.9 * random.nextDouble();
        long ts = T0 + i * 100L;
        Map<String, String> fields =
            Map.of("userId", "u" + random.nextInt(50), "itemId", "i" + random.nextInt(30));
        double[] features =
            publisher
                .score("m" + model, "v1", key, score, ts, fields, true)
                .map(s -> s.scores().features())
                .orElse(null);
        double label = random.nextDouble() < Math.min(1, score + 0.2) ? 1 : 0;
        Sample sample =
            new Sample("m" + model, "v1", "r" + i, ts, score, label, key, fields, features, true);
        delivered.add(new Delivered(model, offsets[model]++, sample));
        publisher.apply(model, offsets[model] - 1, sample);
      }
      return delivered;
    } finally {
      publisher.close();
      Directories.delete(dir);
    }
  }

  /** The same records with the two partitions interleaved at random, each in its own order. */
  private static List<Delivered> interleave(List<Delivered> records, long seed) {
    List<List<Delivered>> partitions = List.of(new ArrayList<>(), new ArrayList<>());
    records.forEach(r -> partitions.get(r.partition()).add(r));
    List<Integer> choice = new ArrayList<>();
    partitions.forEach(p -> p.forEach(r -> choice.add(r.partition())));
    Collections.shuffle(choice, new Random(seed));
    int[] next = new int[2];
    List<Delivered> out = new ArrayList<>();
    for (int partition : choice) {
      out.add(partitions.get(partition).get(next[partition]++));
    }
    return out;
  }

  private ErrorMemoryStore applied(CompensationSettings settings, List<Delivered> records)
      throws Exception {
    ErrorMemoryStore store = new ErrorMemoryStore(settings);
    store.open(directory().resolve(ErrorMemoryStore.NAME));
    for (Delivered r : records) {
      store.apply(r.partition(), r.offset(), r.sample());
    }
    return store;
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3})
  void shouldHoldIdenticalFieldMemoriesAndBlendsWhateverTheInterleavingOfPartitions(long seed)
      throws Exception {
    CompensationSettings settings = ReplicaFixtures.smallSettings("chronicle", Map.of());
    List<Delivered> records = workload(settings, seed, 3_000);
    try (ErrorMemoryStore inOrder = applied(settings, records);
        ErrorMemoryStore interleaved = applied(settings, interleave(records, seed))) {
      assertThat(inOrder.unlearned())
          .as("only each model's first sample, scored before its memory existed, has no features")
          .isEqualTo(2);
      assertThat(interleaved.fingerprint()).isEqualTo(inOrder.fingerprint());
      assertThat(interleaved.sameContents(inOrder)).isTrue();
      CompensationScores a = score(inOrder);
      CompensationScores b = score(interleaved);
      assertThat(b).isEqualTo(a);
    }
  }

  private static CompensationScores score(ErrorMemoryStore store) {
    return store
        .score(
            "m1",
            "v1",
            new float[] {1, 0, 0, 0},
            0.3,
            T0 + 1_000_000,
            Map.of("userId", "u1", "itemId", "i1"),
            false)
        .orElseThrow()
        .scores();
  }

  @Test
  void shouldReopenACleanlyClosedReplicaWithItsBlendAndRebuildOneWithout() throws Exception {
    CompensationSettings settings = ReplicaFixtures.smallSettings("chronicle", Map.of());
    List<Delivered> records = workload(settings, 5, 2_000);
    Path global = directory();
    Path storeDir = global.resolve(ErrorMemoryStore.NAME);
    ErrorMemoryStore original = new ErrorMemoryStore(settings);
    original.open(storeDir);
    records.forEach(r -> original.apply(r.partition(), r.offset(), r.sample()));
    Map<String, ErrorMemoryStore.Fingerprint> before = original.fingerprint();
    CompensationScores scoredBefore = score(original);
    original.close();

    assertThat(new ErrorMemoryStore(settings).prepareRecovery(global)).as("clean: kept").isFalse();
    try (ErrorMemoryStore reopened = new ErrorMemoryStore(settings)) {
      reopened.open(storeDir);
      assertThat(reopened.fingerprint()).isEqualTo(before);
      assertThat(score(reopened)).isEqualTo(scoredBefore);
      Delivered again = records.get(0);
      assertThat(reopened.apply(again.partition(), again.offset(), again.sample()))
          .as("a record delivered again is not learned twice")
          .isFalse();
      assertThat(reopened.fingerprint()).isEqualTo(before);
    }

    // Opening consumes the saved blend: a replica that then dies without closing has none, and
    // must be rebuilt. Simulated by removing the file a clean close wrote again.
    ErrorMemoryStore reopenedAgain = new ErrorMemoryStore(settings);
    reopenedAgain.open(storeDir);
    assertThat(savedStates(storeDir)).as("consumed on open").isEmpty();
    reopenedAgain.close();
    for (Path saved : savedStates(storeDir)) {
      Files.delete(saved);
    }
    assertThat(new ErrorMemoryStore(settings).prepareRecovery(global))
        .as("no saved blend: rebuild")
        .isTrue();
    assertThat(storeDir).doesNotExist();
  }

  private static List<Path> savedStates(Path storeDir) throws Exception {
    try (var files = Files.walk(storeDir)) {
      return files.filter(p -> p.endsWith(CompensatorState.FILE)).toList();
    }
  }

  @Test
  void shouldKeepEveryFieldWithinItsBoundOverAMillionDistinctUsers() throws Exception {
    CompensationSettings settings =
        ReplicaFixtures.smallSettings(
            "onheap",
            Map.of(
                HindsightConfig.COMPENSATION_FIELD_MAX_VALUES, "50000",
                HindsightConfig.COMPENSATION_MEMORY_ARRAYS, "1",
                HindsightConfig.COMPENSATION_MEMORY_BITS, "1"));
    try (ErrorMemoryStore store = new ErrorMemoryStore(settings)) {
      store.open(directory().resolve(ErrorMemoryStore.NAME));
      float[] key = {1, 0};
      long peak = 0;
      for (int i = 0; i < 1_000_000; i++) {
        Sample sample =
            new Sample(
                "m",
                "v1",
                "r" + i,
                T0 + i,
                0.3,
                i % 3 == 0 ? 1 : 0,
                key,
                Map.of("userId", "user-" + i, "itemId", "i" + (i % 1000)),
                null,
                true);
        store.apply(0, i, sample);
        if ((i & 1023) == 0) {
          peak = Math.max(peak, store.fieldValues());
        }
      }
      // userId's field memory and each of its entity memories hold at most 50,000 values each.
      long bound = (1 + settings.entityMemoryNames().size()) * 50_000L + 1000;
      assertThat(store.fieldValues()).isLessThanOrEqualTo(bound);
      assertThat(peak).isLessThanOrEqualTo(bound);
      assertThat(store.fieldEvictions()).isGreaterThanOrEqualTo(1_000_000 - 50_000);
      assertThat(store.unlearned()).as("samples without blend features").isEqualTo(1_000_000);
    }
  }
}
