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
import java.util.concurrent.locks.AbstractQueuedSynchronizer;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
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

      // Two readers, one call each, both queued for the lock while the release holds it: a
      // thread making both calls could be descheduled between them until the release had ended.
      AtomicInteger written = new AtomicInteger();
      Reader needsAll = new Reader(() -> replica.readableAt(MODEL, T0 + HELD + tolerance, 0, 0));
      Reader needsNone = new Reader(() -> replica.readableAt(MODEL, T0 - 1 + tolerance, 0, 0));
      replica.onApplied(
          sample -> {
            int count = written.incrementAndGet();
            if (count == 1) {
              needsAll.start();
              needsNone.start();
              awaitQueuedForLock(needsAll.thread);
              awaitQueuedForLock(needsNone.thread);
            } else {
              // A reader let in after the previous sample: note how many were written before it.
              needsAll.noteWrittenBefore(count - 1);
              needsNone.noteWrittenBefore(count - 1);
            }
          });

      replica.applyProgress(0, offset, MODEL, new ReplicaProgress(0, T0 + HELD, false, 1));
      needsAll.thread.join(TimeUnit.SECONDS.toMillis(10));
      needsNone.thread.join(TimeUnit.SECONDS.toMillis(10));

      assertThat(needsAll.writtenBefore.get())
          .as("samples written when the reader needing every sample got in")
          .isBetween(1, HELD - 1);
      assertThat(needsNone.writtenBefore.get())
          .as("samples written when the reader needing none got in")
          .isBetween(1, HELD - 1);
      assertThat(needsAll.answer.get())
          .as("a prediction needing every sample, mid-release")
          .isFalse();
      assertThat(needsNone.answer.get())
          .as("a prediction needing none of them, mid-release")
          .isTrue();
      assertThat(written.get()).isEqualTo(HELD);
      assertThat(replica.heldSamples()).isZero();
      assertThat(replica.readableAt(MODEL, T0 + HELD + tolerance, 0, 0)).isTrue();
    } finally {
      replica.close();
      Directories.delete(dir);
    }
  }

  /** A thread asking the replica one question, and when it was answered. */
  private static final class Reader {
    final Thread thread;
    final AtomicReference<Boolean> answer = new AtomicReference<>();

    /** Samples written before this reader got in; -1 until seen answered during the release. */
    final AtomicInteger writtenBefore = new AtomicInteger(-1);

    Reader(BooleanSupplier question) {
      this.thread = new Thread(() -> answer.set(question.getAsBoolean()));
    }

    void start() {
      thread.start();
    }

    /**
     * Called by the releasing thread with the lock held again, {@code count} samples written: a
     * reader let in meanwhile is no longer parked and has left the lock, so its answer is coming; a
     * reader still parked has not been let in.
     */
    void noteWrittenBefore(int count) {
      if (writtenBefore.get() >= 0 || LockSupport.getBlocker(thread) != null) {
        return;
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (answer.get() == null && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      if (answer.get() != null) {
        writtenBefore.set(count);
      }
    }
  }

  private static Sample sample(String requestId, long time, boolean labelled) {
    return ReplicaFixtures.sample(MODEL, "v1", requestId, time, labelled ? 1 : Double.NaN);
  }

  /**
   * Waits until {@code thread} is parked in a lock's queue (the replica's, the only lock it takes):
   * merely WAITING, it may be parked elsewhere first (a CI run saw the reader get in only after all
   * 500 samples).
   */
  private static void awaitQueuedForLock(Thread thread) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!(LockSupport.getBlocker(thread) instanceof AbstractQueuedSynchronizer)
        && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
  }
}
