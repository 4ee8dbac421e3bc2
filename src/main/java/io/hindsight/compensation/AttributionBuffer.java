package io.hindsight.compensation;

import static io.hindsight.events.RejectionReason.DUPLICATE_OUTCOME;
import static io.hindsight.events.RejectionReason.LATE_OUTCOME;
import static io.hindsight.events.RejectionReason.ORPHAN_OUTCOME;

import io.hindsight.events.InvalidEventException;
import io.hindsight.events.Outcome;
import io.hindsight.events.RejectionReason;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Predictions waiting for their outcomes, over two changelogged stores: the samples themselves in a
 * time index ordered by the event time at which each window closes, and by requestId only that
 * close time. Single-threaded (one per task).
 *
 * <p>Design note. A window closes when stream time reaches it; the buffer persists two marks per
 * punctuation (closed until, purged until), so closing a window is a range scan and no write. A
 * closed request stays one more window so a late outcome is told apart from an orphan, then both of
 * its entries are deleted. Per prediction that is two puts and two deletes, plus one put per
 * outcome; each range scan starts where the previous one ended, so it never walks over the
 * tombstones of purged entries. A prediction that arrives after its window has already closed joins
 * the next window to close.
 *
 * <p>Producers of predictions and of outcomes are not synchronized, so an outcome may arrive before
 * its prediction. It then waits, for a grace period of event time, in the same two stores (marked
 * in the pending store by a trailing flag byte, and kept in the index as a {@link SourcedOutcome}):
 * the prediction takes it when it arrives, and an outcome still waiting when its grace closes is an
 * orphan.
 */
final class AttributionBuffer {
  static final String PENDING_STORE = "compensation-pending";
  static final String INDEX_STORE = "compensation-window-index";

  /** Pending-store key of the {@link Marks}; a requestId is never empty. */
  private static final String MARKS = "";

  /**
   * Trailing byte of a pending-store value (close time) that marks an outcome, not a prediction.
   */
  private static final byte WAITING_OUTCOME = 1;

  private final KeyValueStore<String, byte[]> pending;
  private final KeyValueStore<Bytes, byte[]> index;
  private final long windowMs;
  private final long graceMs;
  private Marks marks;

  /**
   * @param windowMs event time a prediction waits for its outcome
   * @param graceMs event time an outcome waits for its prediction; 0 rejects it at once
   */
  AttributionBuffer(
      KeyValueStore<String, byte[]> pending,
      KeyValueStore<Bytes, byte[]> index,
      long windowMs,
      long graceMs) {
    this.pending = pending;
    this.index = index;
    this.windowMs = windowMs;
    this.graceMs = graceMs;
  }

  /** Whether a prediction with this requestId is waiting (an outcome that came first is not). */
  boolean hasPrediction(String requestId) {
    byte[] waiting = pending.get(requestId);
    return waiting != null && !isWaitingOutcome(waiting);
  }

  /**
   * Parks a prediction until its window closes and returns what was parked: labelled already if its
   * outcome came first and within the window. An outcome that came first but outside the window is
   * handed to {@code rejected}, and the prediction waits unlabelled.
   */
  Sample add(Sample sample, boolean markWritten, Consumer<RejectedOutcome> rejected) {
    Sample parked = sample;
    byte[] waiting = pending.get(sample.requestId());
    if (waiting != null && isWaitingOutcome(waiting)) {
      Bytes outcomeKey = indexKey(ByteBuffer.wrap(waiting).getLong(), sample.requestId());
      SourcedOutcome early = SourcedOutcome.decode(index.get(outcomeKey));
      index.delete(outcomeKey);
      if (early.outcome().timestamp() > sample.timestamp() + windowMs) {
        rejected.accept(
            new RejectedOutcome(
                early, LATE_OUTCOME, "it is later than its prediction's attribution window"));
      } else {
        parked = sample.withLabel(early.outcome().label(), markWritten);
      }
    }
    long closeAt = Math.max(sample.timestamp() + windowMs, marks().closedUntil() + 1);
    pending.put(sample.requestId(), longBytes(closeAt));
    index.put(indexKey(closeAt, sample.requestId()), parked.encode());
    return parked;
  }

  /** An outcome the buffer gave up on after accepting it, with the reason. */
  record RejectedOutcome(SourcedOutcome outcome, RejectionReason reason, String detail) {}

  /**
   * Attaches an outcome to its waiting prediction and returns the labelled sample, or, when its
   * prediction has not arrived, keeps the outcome for the grace period and returns null.
   *
   * @throws InvalidEventException orphan (no grace), late or duplicate outcome; the buffer is
   *     unchanged
   */
  Sample attach(SourcedOutcome sourced, boolean markWritten) {
    Outcome outcome = sourced.outcome();
    byte[] closeTime = pending.get(outcome.requestId());
    if (closeTime == null) {
      if (graceMs == 0) {
        throw new InvalidEventException(ORPHAN_OUTCOME, "no prediction " + outcome.requestId());
      }
      long closeAt = Math.max(outcome.timestamp() + graceMs, storedMarks().closedUntil() + 1);
      pending.put(outcome.requestId(), waitingOutcomeBytes(closeAt));
      index.put(indexKey(closeAt, outcome.requestId()), sourced.encode());
      return null;
    }
    if (isWaitingOutcome(closeTime)) {
      throw reject(DUPLICATE_OUTCOME, outcome, "an earlier outcome is waiting for its prediction");
    }
    long closeAt = ByteBuffer.wrap(closeTime).getLong();
    // Read afresh: another buffer over the same stores (the prediction processor's) closes windows.
    if (closeAt <= storedMarks().closedUntil()) {
      throw reject(LATE_OUTCOME, outcome, "its attribution window has closed");
    }
    Bytes key = indexKey(closeAt, outcome.requestId());
    Sample sample = Sample.decode(index.get(key));
    if (sample.labelled()) {
      throw reject(DUPLICATE_OUTCOME, outcome, "it already has an outcome");
    }
    if (outcome.timestamp() > sample.timestamp() + windowMs) {
      throw reject(LATE_OUTCOME, outcome, "it arrived after its attribution window");
    }
    Sample labelled = sample.withLabel(outcome.label(), markWritten);
    index.put(key, labelled.encode());
    return labelled;
  }

  private static InvalidEventException reject(RejectionReason reason, Outcome outcome, String why) {
    return new InvalidEventException(reason, "outcome for " + outcome.requestId() + ": " + why);
  }

  /**
   * Closes every window that ended at or before {@code streamTime}, in event-time order, handing
   * each sample (labelled or not) to {@code closed} and each outcome whose grace ended without its
   * prediction to {@code orphaned}, and forgets requests closed a window ago.
   */
  void closeUntil(long streamTime, Consumer<Sample> closed, Consumer<RejectedOutcome> orphaned) {
    Marks previous = marks();
    if (streamTime <= previous.closedUntil()) {
      return;
    }
    long purgeUntil = Math.min(previous.closedUntil(), streamTime - windowMs);
    for (KeyValue<Bytes, byte[]> entry : due(previous.purgedUntil() + 1, purgeUntil)) {
      index.delete(entry.key);
      pending.delete(requestId(entry.key));
    }
    marks = new Marks(streamTime, Math.max(previous.purgedUntil(), purgeUntil));
    pending.put(MARKS, marks.encode());
    for (KeyValue<Bytes, byte[]> entry : due(previous.closedUntil() + 1, streamTime)) {
      if (SourcedOutcome.isEncoded(entry.value)) {
        // Nothing to tell apart later: an orphan's request is forgotten at once.
        index.delete(entry.key);
        pending.delete(requestId(entry.key));
        orphaned.accept(
            new RejectedOutcome(
                SourcedOutcome.decode(entry.value),
                ORPHAN_OUTCOME,
                "no prediction " + requestId(entry.key) + " within the grace period"));
      } else {
        closed.accept(Sample.decode(entry.value));
      }
    }
  }

  /** Index entries whose close time is in [from, to], read before the caller changes the store. */
  private List<KeyValue<Bytes, byte[]>> due(long from, long to) {
    List<KeyValue<Bytes, byte[]>> due = new ArrayList<>();
    long start = Math.max(0, from);
    if (to < start) {
      return due;
    }
    try (KeyValueIterator<Bytes, byte[]> it =
        index.range(indexKey(start, ""), indexKey(to + 1, ""))) {
      while (it.hasNext()) {
        KeyValue<Bytes, byte[]> entry = it.next();
        if (closeTime(entry.key) <= to) {
          due.add(entry);
        }
      }
    }
    return due;
  }

  /** This buffer's marks; only the buffer that closes windows may rely on the cached copy. */
  private Marks marks() {
    if (marks == null) {
      marks = storedMarks();
    }
    return marks;
  }

  private Marks storedMarks() {
    byte[] stored = pending.get(MARKS);
    return stored == null ? Marks.NONE : Marks.decode(stored);
  }

  /**
   * Stream time up to which windows have been closed, and up to which closed requests have been
   * purged; -1 before the first.
   */
  private record Marks(long closedUntil, long purgedUntil) {
    static final Marks NONE = new Marks(-1, -1);

    byte[] encode() {
      return ByteBuffer.allocate(2 * Long.BYTES).putLong(closedUntil).putLong(purgedUntil).array();
    }

    static Marks decode(byte[] bytes) {
      ByteBuffer buffer = ByteBuffer.wrap(bytes);
      return new Marks(buffer.getLong(), buffer.getLong());
    }
  }

  private static byte[] longBytes(long value) {
    return ByteBuffer.allocate(Long.BYTES).putLong(value).array();
  }

  private static byte[] waitingOutcomeBytes(long closeAt) {
    return ByteBuffer.allocate(Long.BYTES + 1).putLong(closeAt).put(WAITING_OUTCOME).array();
  }

  private static boolean isWaitingOutcome(byte[] pendingValue) {
    return pendingValue.length == Long.BYTES + 1;
  }

  private static Bytes indexKey(long closeAt, String requestId) {
    byte[] id = requestId.getBytes(StandardCharsets.UTF_8);
    return Bytes.wrap(ByteBuffer.allocate(8 + id.length).putLong(closeAt).put(id).array());
  }

  private static long closeTime(Bytes key) {
    return ByteBuffer.wrap(key.get()).getLong();
  }

  private static String requestId(Bytes key) {
    byte[] bytes = key.get();
    return new String(bytes, 8, bytes.length - 8, StandardCharsets.UTF_8);
  }
}
