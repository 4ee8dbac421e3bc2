package io.hindsight.compensation;

import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.config.HindsightConfig;
import io.hindsight.memory.ErrorMemories;
import io.hindsight.testing.Directories;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A model's older version is dropped, files and all, once a newer one has been written for the
 * expiry time; the newer one stays readable.
 */
class ReplicaVersionExpiryTest {
  private static final String MODEL = "m";
  private static final long T0 = 1_600_000_000_000L;
  private static final long EXPIRY_MS = 60_000;
  private static final float[] KEY = {1, 0.5f, 0, 0};

  @Test
  void shouldDeleteAnOlderVersionOnceTheNewerHasBeenWrittenForTheExpiryTime() throws Exception {
    CompensationSettings settings =
        ReplicaFixtures.smallSettings(
            ErrorMemories.OFF_HEAP,
            Map.of(HindsightConfig.COMPENSATION_VERSION_EXPIRY_MS, Long.toString(EXPIRY_MS)));
    Path dir = Files.createTempDirectory("hindsight-expiry");
    ErrorMemoryStore replica = new ErrorMemoryStore(settings);
    try {
      replica.open(dir);
      long offset = 0;
      // No task has published progress for the model: samples are applied as they arrive.
      for (int i = 0; i < 20; i++) {
        replica.apply(0, offset++, sample("v1", "a" + i, T0 + i), T0 + i, false, false);
      }
      replica.apply(0, offset++, sample("v2", "b0", T0 + 100), T0 + 100, false, false);
      assertThat(memoryFiles(dir, "v1")).isNotEmpty();
      assertThat(replica.read(MODEL, "v1", KEY, 0.5, T0 + 100)).isPresent();

      replica.apply(
          0, offset++, sample("v2", "b1", T0 + 99 + EXPIRY_MS), T0 + 99 + EXPIRY_MS, false, false);
      assertThat(replica.read(MODEL, "v1", KEY, 0.5, T0 + 100)).isPresent();

      replica.apply(
          0, offset, sample("v2", "b2", T0 + 100 + EXPIRY_MS), T0 + 100 + EXPIRY_MS, false, false);
      assertThat(replica.read(MODEL, "v1", KEY, 0.5, T0 + 100)).isEmpty();
      assertThat(memoryFiles(dir, "v1")).isEmpty();
      assertThat(replica.read(MODEL, "v2", KEY, 0.5, T0 + 100 + EXPIRY_MS)).isPresent();
      assertThat(memoryFiles(dir, "v2")).isNotEmpty();
    } finally {
      replica.close();
      Directories.delete(dir);
    }
  }

  private static List<Path> memoryFiles(Path dir, String version) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(p -> p.toString().contains(version) && Files.isRegularFile(p)).toList();
    }
  }

  private static Sample sample(String version, String requestId, long time) {
    return ReplicaFixtures.sample(MODEL, version, requestId, time, time % 2);
  }
}
