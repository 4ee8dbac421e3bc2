package io.hindsight.compensation;

import static io.hindsight.events.RejectionReason.DUPLICATE_OUTCOME;
import static io.hindsight.events.RejectionReason.LATE_OUTCOME;
import static io.hindsight.events.RejectionReason.ORPHAN_OUTCOME;

import io.hindsight.DerivedIndex;
import io.hindsight.events.InvalidEventException;
import io.hindsight.events.Outcome;
import io.hindsight.events.RejectionReason;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Predictions waiting for their outcomes: the samples themselves by requestId in a changelogged
 * store, each with the event time at which its window closes, and a time index over those close
 * times. Single-threaded (one per task).
 *
 * <p>Design note. The time index is derived data, so it has no changelog: the task rebuilds it from
 * the pending store when it starts ({@link #rebuildIndex}). Per prediction that leaves the
 * changelog one put, one put when its outcome comes, and one delete. A window closes when stream
 * time reaches it; the buffer persists two marks per punctuation (closed until, purged until), so
 * closing a window is a range scan and no write. A closed request stays one more window so a late
 * outcome is told apart from an orphan, then it is deleted. Each range scan starts where the
 * previous one ended, so it never walks over the deleted entries of purged requests. A prediction
 * that arrives after its window has already closed joins the next window to close.
 *
 * <p>Producers of predictions and of outcomes are not synchronized, so an outcome may arrive before
 * its prediction. It then waits, for a grace period of event time, in the same stores (as a {@link
 * SourcedOutcome}): the prediction takes it when it arrives, and an outcome still waiting when its
 * grace closes is an orphan.
 */
final class AttributionBuffer {
  // Renamed when its values began to carry the samples: an older buffer's state is not misread.
  static final String PENDING_STORE = "compensation-waiting";
  static final String INDEX_STORE = "compensation-window-index";

  /** Pending-store key of the {@link Marks}; a requestId is never empty. */
  private static final String MARKS = "";

  private final KeyValueStore<String, byte[]> pending;
  private final KeyValueStore<Bytes, byte[]> index;
  private final long windowMs;
  private final long graceMs;
  private final long latenessMs;
  private Marks marks;

  /**
   * @param pending changelogged: requestId to close time and the waiting sample or outcome
   * @param index not changelogged: (close time, requestId), rebuilt by the task that closes windows
   * @param windowMs event time a prediction waits for its outcome
   * @param graceMs event time an outcome waits for its prediction; 0 rejects it at once
   * @param latenessMs stream time a window stays open after it ends, for outcomes read late
   */
  AttributionBuffer(
      KeyValueStore<String, byte[]> pending,
      KeyValueStore<Bytes, byte[]> index,
      long windowMs,
      long graceMs,
      long latenessMs) {
    this.pending = pending;
    this.index = index;
    this.windowMs = windowMs;
    this.graceMs = graceMs;
    this.latenessMs = latenessMs;
  }

  /** The buffer over a task's two stores, with the windows {@code settings} give. */
  static AttributionBuffer of(ProcessorContext<?, ?> context, CompensationSettings settings) {
    return new AttributionBuffer(
        context.getStateStore(PENDING_STORE),
        context.getStateStore(INDEX_STORE),
        settings.attributionWindowMs(),
        settings.outcomeGraceMs(),
        settings.windowLatenessMs());
  }

  /**
   * Makes the time index hold exactly the pending store's entries. Called once per task before it
   * processes anything: the index may be missing (in memory, or state wiped) or stale (a persistent
   * index survives a crash the pending store was restored from).
   */
  void rebuildIndex() {
    DerivedIndex.clear(index);
    try (KeyValueIterator<String, byte[]> it = pending.all()) {
      while (it.hasNext()) {
        KeyValue<String, byte[]> entry = it.next();
        if (!entry.key.equals(MARKS)) {
          index.put(
              DerivedIndex.key(Waiting.closeAt(entry.value), entry.key), DerivedIndex.NOTHING);
        }
      }
    }
  }

  /** Whether a prediction with this requestId is waiting (an outcome that came first is not). */
  boolean hasPrediction(String requestId) {
    byte[] waiting = pending.get(requestId);
    return waiting != null && !Waiting.isOutcome(waiting);
  }

  /**
   * Parks a prediction until its window closes and returns what was parked: labelled already if its
   * outcome came first and within the window. An outcome that came first but outside the window is
   * handed to {@code rejected}, and the prediction waits unlabelled.
   */
  Sample add(Sample sample, boolean markWritten, Consumer<RejectedOutcome> rejected) {
    Sample parked = sample;
    byte[] waiting = pending.get(sample.requestId());
    if (waiting != null && Waiting.isOutcome(waiting)) {
      index.delete(DerivedIndex.key(Waiting.closeAt(waiting), sample.requestId()));
      SourcedOutcome early = SourcedOutcome.decode(Waiting.payload(waiting));
      if (early.outcome().timestamp() > sample.timestamp() + windowMs) {
        rejected.accept(
            new RejectedOutcome(
                early, LATE_OUTCOME, "it is later than its prediction's attribution window"));
      } else {
        parked = sample.withLabel(early.outcome().label(), markWritten);
      }
    }
    long closeAt = Math.max(sample.timestamp() + windowMs, marks().closedUntil() + 1);
    pending.put(sample.requestId(), Waiting.encode(closeAt, parked.encode()));
    index.put(DerivedIndex.key(closeAt, sample.requestId()), DerivedIndex.NOTHING);
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
    byte[] waiting = pending.get(outcome.requestId());
    if (waiting == null) {
      if (graceMs == 0) {
        throw new InvalidEventException(ORPHAN_OUTCOME, "no prediction " + outcome.requestId());
      }
      long closeAt = Math.max(outcome.timestamp() + graceMs, storedMarks().closedUntil() + 1);
      pending.put(outcome.requestId(), Waiting.encode(closeAt, sourced.encode()));
      index.put(DerivedIndex.key(closeAt, outcome.requestId()), DerivedIndex.NOTHING);
      return null;
    }
    if (Waiting.isOutcome(waiting)) {
      throw reject(DUPLICATE_OUTCOME, outcome, "an earlier outcome is waiting for its prediction");
    }
    long closeAt = Waiting.closeAt(waiting);
    // Read afresh: another buffer over the same stores (the prediction processor's) closes windows.
    if (closeAt <= storedMarks().closedUntil()) {
      throw reject(LATE_OUTCOME, outcome, "its attribution window has closed");
    }
    Sample sample = Sample.decode(Waiting.payload(waiting));
    if (sample.labelled()) {
      throw reject(DUPLICATE_OUTCOME, outcome, "it already has an outcome");
    }
    if (outcome.timestamp() > sample.timestamp() + windowMs) {
      throw reject(LATE_OUTCOME, outcome, "it arrived after its attribution window");
    }
    Sample labelled = sample.withLabel(outcome.label(), markWritten);
    pending.put(outcome.requestId(), Waiting.encode(closeAt, labelled.encode()));
    return labelled;
  }

  private static InvalidEventException reject(RejectionReason reason, Outcome outcome, String why) {
    return new InvalidEventException(reason, "outcome for " + outcome.requestId() + ": " + why);
  }

  /**
   * Closes every window that ended at or before {@code streamTime} minus the lateness, in
   * event-time order, handing each sample (labelled or not) to {@code closed} and each outcome
   * whose grace ended without its prediction to {@code orphaned}, and forgets requests closed a
   * window ago.
   */
  void closeUntil(long streamTime, Consumer<Sample> closed, Consumer<RejectedOutcome> orphaned) {
    long until = streamTime - latenessMs;
    Marks previous = marks();
    if (until <= previous.closedUntil()) {
      return;
    }
    long purgeUntil = Math.min(previous.closedUntil(), until - windowMs);
    for (Bytes key : due(previous.purgedUntil() + 1, purgeUntil)) {
      index.delete(key);
      pending.delete(DerivedIndex.id(key));
    }
    marks = new Marks(until, Math.max(previous.purgedUntil(), purgeUntil));
    pending.put(MARKS, marks.encode());
    for (Bytes key : due(previous.closedUntil() + 1, until)) {
      String requestId = DerivedIndex.id(key);
      byte[] payload = Waiting.payload(pending.get(requestId));
      if (SourcedOutcome.isEncoded(payload)) {
        // Nothing to tell apart later: an orphan's request is forgotten at once.
        index.delete(key);
        pending.delete(requestId);
        orphaned.accept(
            new RejectedOutcome(
                SourcedOutcome.decode(payload),
                ORPHAN_OUTCOME,
                "no prediction " + requestId + " within the grace period"));
      } else {
        closed.accept(Sample.decode(payload));
      }
    }
  }

  /** Index keys whose close time is in [from, to], read before the caller changes the stores. */
  private List<Bytes> due(long from, long to) {
    List<Bytes> due = new ArrayList<>();
    long start = Math.max(0, from);
    if (to < start) {
      return due;
    }
    try (KeyValueIterator<Bytes, byte[]> it =
        index.range(DerivedIndex.key(start, ""), DerivedIndex.key(to + 1, ""))) {
      while (it.hasNext()) {
        Bytes key = it.next().key;
        if (DerivedIndex.time(key) <= to) {
          due.add(key);
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

  /**
   * A pending-store value: the close time, then the waiting {@link Sample} or {@link
   * SourcedOutcome}, told apart by their format bytes.
   */
  private static final class Waiting {
    static byte[] encode(long closeAt, byte[] payload) {
      return ByteBuffer.allocate(Long.BYTES + payload.length).putLong(closeAt).put(payload).array();
    }

    static long closeAt(byte[] waiting) {
      return ByteBuffer.wrap(waiting).getLong();
    }

    static byte[] payload(byte[] waiting) {
      return Arrays.copyOfRange(waiting, Long.BYTES, waiting.length);
    }

    static boolean isOutcome(byte[] waiting) {
      return waiting[Long.BYTES] == SourcedOutcome.FORMAT;
    }
  }
}
