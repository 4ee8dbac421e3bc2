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
import java.util.function.Predicate;
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
 *
 * <p>Time is kept per input, as a two-input join must: a task reads its predictions and outcomes
 * partitions at different paces (outcomes are small, a replay or a backlog brings many at once), so
 * one stream time over both would close windows whose outcomes are still unread. A window closes
 * when the outcomes read have passed its end (and the predictions read have passed its start plus
 * the window, so no unread prediction belongs to it); an early outcome is an orphan when the
 * predictions read have passed its grace. Idle inputs (see {@link #idle}) let a stream whose
 * outcomes are sparse or stopped, and a stream's end, close their windows.
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
  private boolean predictionsIdle;
  private boolean outcomesIdle;

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
    return add(sample, labelled -> markWritten, rejected);
  }

  /**
   * {@link #add(Sample, boolean, Consumer)}, deciding from the labelled sample (its model version
   * and label) whether an outcome that came first marks it written now.
   */
  Sample add(Sample sample, Predicate<Sample> writeNow, Consumer<RejectedOutcome> rejected) {
    return add(sample, writeNow, rejected, null);
  }

  /**
   * {@link #add(Sample, Predicate, Consumer)} for a prediction whose compensation waits for the
   * replica: the deferral is kept with it, in the same changelogged value, until {@link
   * #compensated}.
   *
   * @param deferral null when the prediction has been compensated already
   */
  Sample add(
      Sample sample,
      Predicate<Sample> writeNow,
      Consumer<RejectedOutcome> rejected,
      Deferral deferral) {
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
        Sample labelled = sample.withLabel(early.outcome().label(), false);
        parked = writeNow.test(labelled) ? labelled.withLabel(labelled.label(), true) : labelled;
      }
    }
    long closeAt = Math.max(sample.timestamp() + windowMs, marks().closedUntil() + 1);
    pending.put(sample.requestId(), Waiting.encode(closeAt, deferral, parked.encode()));
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
    return attach(sourced, labelled -> markWritten);
  }

  /** {@link #attach(SourcedOutcome, boolean)}, deciding from the labelled sample. */
  Sample attach(SourcedOutcome sourced, Predicate<Sample> writeNow) {
    Outcome outcome = sourced.outcome();
    byte[] waiting = pending.get(outcome.requestId());
    if (waiting == null) {
      if (graceMs == 0) {
        throw new InvalidEventException(ORPHAN_OUTCOME, "no prediction " + outcome.requestId());
      }
      long closeAt = Math.max(outcome.timestamp() + graceMs, marks().orphanedUntil() + 1);
      pending.put(outcome.requestId(), Waiting.encode(closeAt, null, sourced.encode()));
      index.put(DerivedIndex.key(closeAt, outcome.requestId()), DerivedIndex.NOTHING);
      return null;
    }
    if (Waiting.isOutcome(waiting)) {
      throw reject(DUPLICATE_OUTCOME, outcome, "an earlier outcome is waiting for its prediction");
    }
    long closeAt = Waiting.closeAt(waiting);
    if (closeAt <= marks().closedUntil()) {
      throw reject(LATE_OUTCOME, outcome, "its attribution window has closed");
    }
    Sample sample = Sample.decode(Waiting.payload(waiting));
    if (sample.labelled()) {
      throw reject(DUPLICATE_OUTCOME, outcome, "it already has an outcome");
    }
    if (outcome.timestamp() > sample.timestamp() + windowMs) {
      throw reject(LATE_OUTCOME, outcome, "it arrived after its attribution window");
    }
    Sample labelled = sample.withLabel(outcome.label(), false);
    if (writeNow.test(labelled)) {
      labelled = labelled.withLabel(labelled.label(), true);
    }
    pending.put(
        outcome.requestId(), Waiting.encode(closeAt, Waiting.deferral(waiting), labelled.encode()));
    return labelled;
  }

  private static InvalidEventException reject(RejectionReason reason, Outcome outcome, String why) {
    return new InvalidEventException(reason, "outcome for " + outcome.requestId() + ": " + why);
  }

  /** A prediction was read: the predictions input has reached its time. */
  void predictionRead(long timestamp) {
    predictionsIdle = false;
    Marks m = marks();
    if (timestamp > m.predictionsRead()) {
      marks = m.withRead(timestamp, m.outcomesRead());
    }
  }

  /** An outcome was read: the outcomes input has reached its time. */
  void outcomeRead(long timestamp) {
    outcomesIdle = false;
    Marks m = marks();
    if (timestamp > m.outcomesRead()) {
      marks = m.withRead(m.predictionsRead(), timestamp);
    }
  }

  /**
   * Which inputs have gone idle (the caller decides, by the wall clock and the consumer's lag).
   * Idle outcomes follow the predictions' time, so windows close in a stream whose outcomes are
   * sparse or stopped; idle predictions follow the outcomes' only while the outcomes are idle too,
   * at a stream's end.
   *
   * @return whether that changed anything
   */
  boolean idle(boolean predictions, boolean outcomes) {
    boolean changed = predictions != predictionsIdle || outcomes != outcomesIdle;
    predictionsIdle = predictions;
    outcomesIdle = outcomes;
    return changed;
  }

  /** Both inputs are idle: this task will publish nothing new until one of them speaks. */
  boolean idle() {
    return predictionsIdle && outcomesIdle;
  }

  private long predictionsTime() {
    Marks m = marks();
    // Predictions follow the outcomes only when both are idle: an outcome read early waits for
    // its prediction however long the predictions' producer lags.
    return idle() ? Math.max(m.predictionsRead(), m.outcomesRead()) : m.predictionsRead();
  }

  private long outcomesTime() {
    Marks m = marks();
    return outcomesIdle ? Math.max(m.predictionsRead(), m.outcomesRead()) : m.outcomesRead();
  }

  /** Event time through which windows have closed: every sample due by then has been handed on. */
  long closedUntil() {
    return marks().closedUntil();
  }

  /**
   * Event time through which replicas may apply this task's samples: every sample due by then has
   * been handed on, and no prediction at or before it is still to be read (a partition is read in
   * time order), so none of the task's reads would see a sample effective at or after the read.
   */
  long replicaThrough() {
    return Math.min(closedUntil(), predictionsTime() - 1);
  }

  /** Receives a sample whose window has closed, with the time it closed at. */
  @FunctionalInterface
  interface Closed {
    void accept(Sample sample, long closedAt);
  }

  /**
   * Closes every window that the inputs have passed (see the class note), in event-time order,
   * handing each sample (labelled or not) to {@code closed}; hands each outcome whose grace the
   * predictions have passed to {@code orphaned}; forgets requests closed a window ago, except those
   * whose window closes at or after {@code retainFrom}.
   */
  void closeDue(Closed closed, Consumer<RejectedOutcome> orphaned, long retainFrom) {
    Marks previous = marks();
    long predictions = predictionsTime();
    long windowsUntil =
        Math.max(
            previous.closedUntil(),
            Math.min(outcomesTime() - latenessMs, saturatedAdd(predictions, windowMs)));
    long orphansUntil = Math.max(previous.orphanedUntil(), predictions);
    if (windowsUntil == previous.closedUntil() && orphansUntil == previous.orphanedUntil()) {
      return;
    }
    // Outcomes still waiting for a prediction are never purged: orphans go when they are found.
    long purgeUntil =
        Math.min(
            Math.min(previous.closedUntil(), windowsUntil - windowMs),
            Math.min(previous.orphanedUntil(), retainFrom - 1));
    for (Bytes key : due(previous.purgedUntil() + 1, purgeUntil)) {
      index.delete(key);
      pending.delete(DerivedIndex.id(key));
    }
    // The times read are persisted with the marks; a restart reads any records after them again.
    marks =
        new Marks(
            windowsUntil,
            Math.max(previous.purgedUntil(), purgeUntil),
            orphansUntil,
            previous.predictionsRead(),
            previous.outcomesRead());
    pending.put(MARKS, marks.encode());
    for (Bytes key : due(previous.orphanedUntil() + 1, orphansUntil)) {
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
      }
    }
    for (Bytes key : due(previous.closedUntil() + 1, windowsUntil)) {
      byte[] waiting = pending.get(DerivedIndex.id(key));
      if (waiting != null && !Waiting.isOutcome(waiting)) {
        closed.accept(Sample.decode(Waiting.payload(waiting)), DerivedIndex.time(key));
      }
    }
  }

  private static long saturatedAdd(long a, long b) {
    long sum = a + b;
    return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
  }

  /**
   * The parked prediction with this requestId, if one waits (an outcome that came first does not).
   */
  Sample waiting(String requestId) {
    byte[] waiting = pending.get(requestId);
    return waiting == null || Waiting.isOutcome(waiting)
        ? null
        : Sample.decode(Waiting.payload(waiting));
  }

  /** Replaces a parked prediction (labelled since), keeping its close time and any deferral. */
  void update(Sample sample) {
    byte[] waiting = pending.get(sample.requestId());
    pending.put(
        sample.requestId(),
        Waiting.encode(Waiting.closeAt(waiting), Waiting.deferral(waiting), sample.encode()));
  }

  /**
   * Replaces a deferred prediction by its compensated copy (with the features it was scored with),
   * keeping its close time and ending its deferral, in one write.
   */
  void compensated(Sample sample) {
    byte[] waiting = pending.get(sample.requestId());
    pending.put(
        sample.requestId(), Waiting.encode(Waiting.closeAt(waiting), null, sample.encode()));
  }

  /**
   * A prediction that waits for the memory replica before it is compensated: when it was deferred
   * (wall clock) and the timestamp of its record, which its compensation carries.
   */
  record Deferral(long deferredAt, long recordTimestamp) {}

  /** A parked prediction and its deferral (null once compensated). */
  record Parked(Sample sample, Deferral deferral) {}

  /** The parked prediction with this requestId and its deferral, or null if none waits. */
  Parked parked(String requestId) {
    byte[] waiting = pending.get(requestId);
    return waiting == null || Waiting.isOutcome(waiting)
        ? null
        : new Parked(Sample.decode(Waiting.payload(waiting)), Waiting.deferral(waiting));
  }

  /**
   * Defers a parked prediction that has none (a deferral recorded by an earlier version in a store
   * of its own, moved here); false when no such prediction waits.
   */
  boolean defer(String requestId, Deferral deferral) {
    byte[] waiting = pending.get(requestId);
    if (waiting == null || Waiting.isOutcome(waiting)) {
      return false;
    }
    if (Waiting.deferral(waiting) == null) {
      pending.put(
          requestId, Waiting.encode(Waiting.closeAt(waiting), deferral, Waiting.payload(waiting)));
    }
    return true;
  }

  /**
   * Every deferred prediction, in (event time, requestId) order: what a starting task registers.
   */
  List<Parked> deferred() {
    List<Parked> deferred = new ArrayList<>();
    try (KeyValueIterator<String, byte[]> it = pending.all()) {
      while (it.hasNext()) {
        KeyValue<String, byte[]> entry = it.next();
        if (!entry.key.equals(MARKS) && Waiting.deferral(entry.value) != null) {
          deferred.add(
              new Parked(
                  Sample.decode(Waiting.payload(entry.value)), Waiting.deferral(entry.value)));
        }
      }
    }
    deferred.sort(
        java.util.Comparator.comparingLong((Parked p) -> p.sample().timestamp())
            .thenComparing(p -> p.sample().requestId()));
    return deferred;
  }

  /** Index keys whose close time is in [from, to], read before the caller changes the stores. */
  /**
   * Whether a prediction of model version {@code memoryName} whose window closes before {@code
   * time}, and has not been closed here yet, is still without an outcome: an implicit negative by
   * then, whatever the punctuation has got to.
   */
  boolean unlabelledClosingBefore(String memoryName, long time) {
    for (Bytes key : due(marks().closedUntil() + 1, time - 1)) {
      byte[] waiting = pending.get(DerivedIndex.id(key));
      if (waiting != null && !Waiting.isOutcome(waiting)) {
        Sample sample = Sample.decode(Waiting.payload(waiting));
        if (!sample.labelled() && sample.memoryName().equals(memoryName)) {
          return true;
        }
      }
    }
    return false;
  }

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

  private Marks marks() {
    if (marks == null) {
      byte[] stored = pending.get(MARKS);
      marks = stored == null ? Marks.NONE : Marks.decode(stored);
    }
    return marks;
  }

  /**
   * Event time up to which windows have been closed, closed requests purged and orphans found, and
   * the latest event time read from each input; -1 before the first.
   */
  private record Marks(
      long closedUntil,
      long purgedUntil,
      long orphanedUntil,
      long predictionsRead,
      long outcomesRead) {
    static final Marks NONE = new Marks(-1, -1, -1, -1, -1);

    Marks withRead(long predictions, long outcomes) {
      return new Marks(closedUntil, purgedUntil, orphanedUntil, predictions, outcomes);
    }

    byte[] encode() {
      return ByteBuffer.allocate(5 * Long.BYTES)
          .putLong(closedUntil)
          .putLong(purgedUntil)
          .putLong(orphanedUntil)
          .putLong(predictionsRead)
          .putLong(outcomesRead)
          .array();
    }

    /** Decodes these marks, or the two of a buffer that had one stream time for both inputs. */
    static Marks decode(byte[] bytes) {
      ByteBuffer buffer = ByteBuffer.wrap(bytes);
      long closed = buffer.getLong();
      long purged = buffer.getLong();
      if (bytes.length == 2 * Long.BYTES) {
        return new Marks(closed, purged, closed, closed, closed);
      }
      return new Marks(closed, purged, buffer.getLong(), buffer.getLong(), buffer.getLong());
    }
  }

  /**
   * A pending-store value: the close time, then the waiting {@link Sample} or {@link
   * SourcedOutcome}, told apart by their format bytes; a prediction still to be compensated has its
   * {@link Deferral} between them, marked by a byte neither format starts with. Values written
   * before deferrals moved here have none.
   */
  private static final class Waiting {
    private static final byte DEFERRED = (byte) 'D';
    private static final int DEFERRAL = 1 + 2 * Long.BYTES;

    static byte[] encode(long closeAt, Deferral deferral, byte[] payload) {
      ByteBuffer buffer =
          ByteBuffer.allocate(Long.BYTES + (deferral == null ? 0 : DEFERRAL) + payload.length)
              .putLong(closeAt);
      if (deferral != null) {
        buffer.put(DEFERRED).putLong(deferral.deferredAt()).putLong(deferral.recordTimestamp());
      }
      return buffer.put(payload).array();
    }

    static long closeAt(byte[] waiting) {
      return ByteBuffer.wrap(waiting).getLong();
    }

    static Deferral deferral(byte[] waiting) {
      if (waiting[Long.BYTES] != DEFERRED) {
        return null;
      }
      ByteBuffer buffer = ByteBuffer.wrap(waiting, Long.BYTES + 1, 2 * Long.BYTES);
      return new Deferral(buffer.getLong(), buffer.getLong());
    }

    static byte[] payload(byte[] waiting) {
      int start = Long.BYTES + (waiting[Long.BYTES] == DEFERRED ? DEFERRAL : 0);
      return Arrays.copyOfRange(waiting, start, waiting.length);
    }

    static boolean isOutcome(byte[] waiting) {
      return waiting[Long.BYTES] == SourcedOutcome.FORMAT;
    }
  }
}
