package io.hindsight.compensation;

import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.memory.ErrorMemories;
import io.hindsight.testing.Directories;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A progress record that makes many held samples due at once: the thread applying them lets a
 * thread waiting for the replica in between two samples, and that thread sees the replica caught up
 * only through what is written.
 */
class ReplicaReleaseTest {
  private static final String MODEL = "m";
  private static final long T0 = 1_600_000_000_000L;
  private static final int HELD = 500;

  @Test
  void shouldLetAWaitingReaderInDuringALongReleaseAndNotServeItSamplesNotYetWritten()
      throws Exception {
    CompensationSettings settings = ReplicaFixtures.smallSettings(ErrorMemories.OFF_HEAP, Map.of());
    long tolerance = settings.alignmentToleranceMs();
    Path dir = Files.createTempDirectory("hindsight-release");
    ErrorMemoryStore replica = new ErrorMemoryStore(settings);
    try {
      replica.open(dir);
      long offset = 0;
      replica.apply(0, offset++, sample("declaration", T0 - 1, false), T0 - 1, false, false);
      replica.applyProgress(0, offset++, MODEL, new ReplicaProgress(0, T0 - 1, false, 1));
      for (int i = 0; i < HELD; i++) {
        replica.apply(0, offset++, sample("r" + i, T0 + i, true), T0 + i, false, false);
      }
      assertThat(replica.heldSamples()).isEqualTo(HELD);

      AtomicInteger written = new AtomicInteger();
      AtomicInteger writtenWhenRead = new AtomicInteger(-1);
      AtomicReference<boolean[]> readable = new AtomicReference<>();
      Thread reader =
          new Thread(
              () -> {
                boolean needsAll = replica.readableAt(MODEL, T0 + HELD + tolerance, 0, 0);
                boolean needsNone = replica.readableAt(MODEL, T0 - 1 + tolerance, 0, 0);
                writtenWhenRead.set(written.get());
                readable.set(new boolean[] {needsAll, needsNone});
              });
      replica.onApplied(
          sample -> {
            if (written.incrementAndGet() == 1) {
              // The release holds the lock: the reader queues for it.
              reader.start();
              awaitWaiting(reader);
            }
          });

      replica.applyProgress(0, offset, MODEL, new ReplicaProgress(0, T0 + HELD, false, 1));
      reader.join(TimeUnit.SECONDS.toMillis(10));

      assertThat(writtenWhenRead.get())
          .as("samples written when the reader got in")
          .isBetween(1, HELD - 1);
      assertThat(readable.get()[0]).as("a prediction needing every sample, mid-release").isFalse();
      assertThat(readable.get()[1]).as("a prediction needing none of them, mid-release").isTrue();
      assertThat(written.get()).isEqualTo(HELD);
      assertThat(replica.heldSamples()).isZero();
      assertThat(replica.readableAt(MODEL, T0 + HELD + tolerance, 0, 0)).isTrue();
    } finally {
      replica.close();
      Directories.delete(dir);
    }
  }

  private static Sample sample(String requestId, long time, boolean labelled) {
    return ReplicaFixtures.sample(MODEL, "v1", requestId, time, labelled ? 1 : Double.NaN);
  }

  private static void awaitWaiting(Thread thread) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (thread.getState() != Thread.State.WAITING && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
  }
}
