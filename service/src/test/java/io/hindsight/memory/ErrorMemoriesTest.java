package io.hindsight.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ErrorMemoriesTest {

  private static final SketchSettings SETTINGS =
      new SketchSettings(8, 4, 8, 1, 0.1, 0.5, 1, 1, 0, 0);

  @Test
  void shouldOpenAnOnHeapMemoryWithoutADirectory() {
    try (ErrorMemory m = ErrorMemories.open(" OnHeap ", SETTINGS, null)) {
      assertThat(m).isInstanceOf(OnHeapSketchMemory.class);
    }
  }

  @Test
  void shouldRejectAnUnknownKindListingTheKnownOnes() {
    assertThatThrownBy(() -> ErrorMemories.open("redis", SETTINGS, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("redis")
        .hasMessageContaining("offheap");
  }

  @Test
  void shouldRequireADirectoryForPersistedKinds() {
    assertThatThrownBy(() -> ErrorMemories.open("chronicle", SETTINGS, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("directory");
  }

  @Test
  void shouldSerializeConcurrentWritersThroughTheSynchronizedView() throws Exception {
    List<LabelledSample> samples = TestData.clustered(new SplittableRandom(1), 4_000, 8, 4, 0, 0);
    try (ErrorMemory shared = ErrorMemories.synchronizedMemory(new OnHeapSketchMemory(SETTINGS));
        ErrorMemory serial = new OnHeapSketchMemory(SETTINGS)) {
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        Future<?>[] tasks = new Future<?>[4];
        for (int t = 0; t < 4; t++) {
          int first = t * 1_000;
          tasks[t] =
              pool.submit(
                  () -> {
                    for (LabelledSample s : samples.subList(first, first + 1_000)) {
                      shared.write(s);
                      shared.read(s.key(), 0.5, 0);
                    }
                  });
        }
        for (Future<?> task : tasks) {
          task.get(30, TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
      }
      samples.forEach(serial::write);
      assertThat(shared.samples()).isEqualTo(4_000);
      assertThat(shared.sameContents(serial)).isTrue();
      assertThat(serial.sameContents(shared)).isTrue();
      assertThat(shared.contentHash()).isEqualTo(serial.contentHash());
    }
  }
}
