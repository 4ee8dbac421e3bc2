package io.hindsight.compensation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.nio.ByteBuffer;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReplicaAlignmentTest {
  private static final String MODEL = "m";

  private static ReplicaAlignment.Held held(String requestId, long time) {
    return new ReplicaAlignment.Held(
        new Sample(MODEL, "v1", requestId, time, 0.5, 1, new float[] {1}, Map.of(), null, true),
        false);
  }

  @Test
  void aTaskThatHasNotSpokenHoldsSamplesBackOnceTheTaskCountIsKnown() {
    ReplicaAlignment alignment = new ReplicaAlignment();
    alignment.progress(MODEL, new ReplicaProgress(0, 1_000, false, 2));
    alignment.hold(held("a", 500), 500);

    assertNull(alignment.nextDue(MODEL), "task 1 may still publish samples before 500");
    assertEquals(0, alignment.lateSamples());

    alignment.progress(MODEL, new ReplicaProgress(1, 800, false, 2));
    assertEquals("a", alignment.nextDue(MODEL).sample().requestId());
    assertEquals(800, alignment.complete(MODEL));
  }

  @Test
  void aTaskIdleBeforeClosingAnythingStopsHoldingBack() {
    ReplicaAlignment alignment = new ReplicaAlignment();
    alignment.progress(MODEL, new ReplicaProgress(0, 1_000, false, 2));
    alignment.hold(held("a", 500), 500);
    alignment.progress(MODEL, new ReplicaProgress(1, Long.MIN_VALUE, true, 2));

    assertEquals(0, alignment.lateSamples());
    assertEquals("a", alignment.nextDue(MODEL).sample().requestId());
  }

  @Test
  void aSampleFromATaskThatWasIdleIsDueJustAfterTheCompleteTime() {
    ReplicaAlignment alignment = new ReplicaAlignment();
    alignment.progress(MODEL, new ReplicaProgress(0, 1_000, false, 2));
    alignment.progress(MODEL, new ReplicaProgress(1, 200, true, 2));
    alignment.hold(held("late", 300), 300);

    assertEquals(1, alignment.lateSamples());
    assertEquals(1_001, alignment.nextDueAt(MODEL));
  }

  @Test
  void aReadStillDeferredHoldsEveryReplicaBackUntilItIsServed() {
    ReplicaAlignment alignment = new ReplicaAlignment();
    alignment.progress(MODEL, new ReplicaProgress(0, 1_000, false, 1, 600));

    assertEquals(599, alignment.complete(MODEL), "a replica taking the task over reads 600 again");
  }

  @Test
  void aTaskRunHereHoldsItsReplicaBackByTheReadsRegisteredHere() {
    long[] earliest = {800};
    ReplicaAlignment alignment =
        new ReplicaAlignment((model, task) -> java.util.OptionalLong.of(earliest[0]));
    alignment.progress(MODEL, new ReplicaProgress(0, 1_000, false, 1, 600));
    assertEquals(799, alignment.complete(MODEL), "600 was served here, not yet published");

    earliest[0] = Long.MAX_VALUE;
    alignment.refresh(MODEL);
    assertEquals(1_000, alignment.complete(MODEL));
  }

  @Test
  void theTaskCountSurvivesASaveAndLoad() throws Exception {
    ReplicaAlignment alignment = new ReplicaAlignment();
    alignment.progress(MODEL, new ReplicaProgress(0, 1_000, false, 2));
    alignment.hold(held("a", 500), 500);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    alignment.save(new DataOutputStream(bytes));

    ReplicaAlignment loaded = new ReplicaAlignment();
    loaded.load(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));

    assertNull(loaded.nextDue(MODEL), "still waiting for task 1");
    loaded.progress(MODEL, new ReplicaProgress(1, 900, false, 2));
    assertEquals("a", loaded.nextDue(MODEL).sample().requestId());
  }

  @Test
  void progressInTheFirstFormatHasAnUnknownTaskCount() {
    byte[] first =
        ByteBuffer.allocate(14)
            .put(ReplicaProgress.FORMAT)
            .putInt(3)
            .putLong(42)
            .put((byte) 1)
            .array();

    assertEquals(new ReplicaProgress(3, 42, true, 0), ReplicaProgress.decode(first));
    ReplicaProgress current = new ReplicaProgress(3, 42, true, 4);
    assertEquals(current, ReplicaProgress.decode(current.encode()));
  }
}
