package io.hindsight.compensation;

import static io.hindsight.events.RejectionReason.DUPLICATE_PREDICTION;
import static io.hindsight.events.RejectionReason.EMBEDDING_DIMENSION_MISMATCH;

import io.hindsight.DerivedIndex;
import io.hindsight.errors.DeadLetterHandler;
import io.hindsight.events.Compensation;
import io.hindsight.events.EventCodec;
import io.hindsight.events.InvalidEventException;
import io.hindsight.events.Outcome;
import io.hindsight.events.Prediction;
import io.hindsight.memory.CompensationScores;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The join of one task's predictions and outcomes (co-partitioned by requestId). Compensates each
 * prediction from the local memory replica and publishes exactly one compensation; parks it in the
 * {@link AttributionBuffer} until its window closes, attaching its outcome; publishes each closed
 * window's labelled sample, and after them the task's {@link ReplicaProgress}.
 *
 * <p>A prediction is compensated once the replica holds every task's samples effective before its
 * event time minus {@code compensation.alignment.tolerance.ms}, so the live service answers what
 * {@code evaluate} does however unevenly its inputs are read. Until then it waits, in time order,
 * in a changelogged store, and the task keeps reading; in real time the replica is that close
 * already and nothing waits.
 */
final class CompensationProcessor implements Processor<String, Object, Object, Object> {
  static final String DIMENSIONS_STORE = "compensation-model-dimensions";
  static final String DEFERRED_STORE = "compensation-deferred";
  static final String STREAM_SHOWN_STORE = "compensation-stream-shown";

  private final CompensationSettings settings;
  private final CompensationMetrics metrics;
  private final PredictionKeys keys;
  private final String predictionsTopic;
  private final String outcomesTopic;
  private final InputLag lag;
  private ProcessorContext<Object, Object> context;
  private AttributionBuffer buffer;
  private KeyValueStore<String, Integer> dimensions;

  /**
   * Deferrals recorded by earlier versions, which kept them in a store of their own: moved into the
   * attribution buffer when the task starts; nothing writes here any more.
   */
  private KeyValueStore<Bytes, byte[]> legacyDeferred;

  /**
   * The predictions deferred and not yet compensated, in event-time order; their deferrals persist
   * with them in the attribution buffer, from which a starting task rebuilds this.
   */
  private final java.util.TreeSet<DeferredKey> deferred = new java.util.TreeSet<>();

  private record DeferredKey(long time, String requestId) implements Comparable<DeferredKey> {
    @Override
    public int compareTo(DeferredKey o) {
      int c = Long.compare(time, o.time);
      return c != 0 ? c : requestId.compareTo(o.requestId);
    }
  }

  /**
   * What this task's inputs have shown of each model version, for auto write mode: key {@code kind
   * + ':' + model version} → the event time it was first shown ({@link #firstSeen}).
   */
  private KeyValueStore<String, Long> shown;

  /** {@link #shown} on the heap: read for every outcome in auto mode. */
  private final Map<String, Long> shownCache = new HashMap<>();

  private ErrorMemoryStore memory;
  private int task;

  private long lastPredictionAt;
  private long lastOutcomeAt;
  private ReplicaProgress published;

  /** Models the current {@link #published} progress went to. */
  private final Set<String> publishedTo = new HashSet<>();

  /** How many compensation tasks there are (the inputs' partitions); 0 when unknown. */
  private final int tasks;

  /** Dimensions the replicated memory has confirmed; final once confirmed, so kept on the heap. */
  private final Map<String, Integer> confirmedDimensions = new HashMap<>();

  /** Models this task has read predictions of: it publishes its progress for each. */
  private final Set<String> models = new HashSet<>();

  CompensationProcessor(
      CompensationSettings settings,
      CompensationMetrics metrics,
      String predictionsTopic,
      String outcomesTopic,
      InputLag lag,
      int tasks) {
    this.settings = settings;
    this.tasks = tasks;
    this.metrics = metrics;
    this.predictionsTopic = predictionsTopic;
    this.outcomesTopic = outcomesTopic;
    this.lag = lag;
    this.keys = new PredictionKeys(settings.featuresDimension());
  }

  @Override
  public void init(ProcessorContext<Object, Object> context) {
    this.context = context;
    buffer = AttributionBuffer.of(context, settings);
    buffer.rebuildIndex();
    dimensions = context.getStateStore(DIMENSIONS_STORE);
    legacyDeferred = context.getStateStore(DEFERRED_STORE);
    shown = context.getStateStore(STREAM_SHOWN_STORE);
    try (KeyValueIterator<String, Long> it = shown.all()) {
      it.forEachRemaining(entry -> shownCache.put(entry.key, entry.value));
    }
    memory = context.getStateStore(ErrorMemoryStore.NAME);
    task = context.taskId().partition();
    lastPredictionAt = context.currentSystemTimeMs();
    lastOutcomeAt = lastPredictionAt;
    memory.claim(task);
    registerDeferred();
    context.schedule(
        Duration.ofMillis(settings.punctuateIntervalMs()),
        PunctuationType.STREAM_TIME,
        streamTime -> closeWindows());
    context.schedule(
        Duration.ofMillis(settings.punctuateIntervalMs()),
        PunctuationType.WALL_CLOCK_TIME,
        this::onWallClock);
  }

  @Override
  public void process(Record<String, Object> record) {
    compensateDeferred();
    if (record.value() instanceof Prediction prediction) {
      predict(prediction, record.timestamp());
    } else {
      attach((Outcome) record.value(), record.key());
    }
  }

  /**
   * @param recordTimestamp the prediction record's timestamp as Kafka Streams read it, which its
   *     compensation carries also when it is published later
   */
  private void predict(Prediction prediction, long recordTimestamp) {
    long started = System.nanoTime();
    lastPredictionAt = context.currentSystemTimeMs();
    // The input has reached this time whether or not the prediction is accepted.
    buffer.predictionRead(prediction.timestamp());
    float[] key = keys.of(prediction);
    if (buffer.hasPrediction(prediction.requestId())) {
      throw new InvalidEventException(
          DUPLICATE_PREDICTION, "requestId " + prediction.requestId() + " seen already");
    }
    checkDimension(prediction, key);
    if (models.add(prediction.modelId())) {
      // Before any sample of the model: every replica then knows how many tasks to wait for.
      publishProgress();
    }
    if (settings.writeMode() == WriteMode.AUTO) {
      firstSeen(
          FIRST_PREDICTION + Sample.memoryName(prediction.modelId(), prediction.modelVersion()),
          prediction.timestamp());
    }
    Sample unscored =
        unlabelled(
            prediction, key, PredictionKeys.fieldValues(prediction, settings.valueFields()), null);
    if (deferred.isEmpty()
        && memory.readableAt(prediction.modelId(), prediction.timestamp(), task, ownProgress())) {
      compensate(unscored, memoryScore(unscored), recordTimestamp, started, null);
      return;
    }
    // Parked unscored, with its deferral: a sample due before its prediction is scored goes out
    // without the blend's features, and they follow (see ReplicaAlignment).
    long now = context.currentSystemTimeMs();
    Sample parked =
        buffer.add(
            unscored,
            early -> writeNow(early, early.timestamp()),
            this::deadLetter,
            new AttributionBuffer.Deferral(now, recordTimestamp));
    if (parked.written()) {
      publish(parked, parked.timestamp());
    }
    deferred.add(new DeferredKey(prediction.timestamp(), prediction.requestId()));
    metrics.deferred.increment();
    memory.register(task, unscored, now, ownProgress());
  }

  private Optional<ErrorMemoryStore.Scored> memoryScore(Sample prediction) {
    return memory.score(
        prediction.modelId(),
        prediction.modelVersion(),
        prediction.key(),
        prediction.score(),
        prediction.timestamp(),
        prediction.fieldValues(),
        true);
  }

  /**
   * Publishes a prediction's compensation from what it was scored with, and parks it (or, when it
   * was deferred, records on its {@code parked} copy the features it was scored with and ends the
   * deferral, publishing the features for the blend if its sample went out already).
   *
   * @param parked the deferred prediction as it waits in the buffer; null when not parked yet
   */
  private void compensate(
      Sample prediction,
      Optional<ErrorMemoryStore.Scored> scored,
      long recordTimestamp,
      long started,
      Sample parked) {
    // An empty memory passes the score through: no evidence, fully trusted.
    double compensated = prediction.score();
    double[] features = null;
    int evidence = 0;
    double fieldEvidence = 0;
    double trust = 1.0;
    boolean fallback = false;
    if (scored.isPresent()) {
      CompensationScores scores = scored.get().scores();
      compensated = scores.finalScore();
      evidence = scored.get().evidence();
      features = scores.features();
      for (int f = 0; f < settings.fields().size(); f++) {
        fieldEvidence += scores.fieldEvidence(f);
      }
      trust = scores.trust();
      fallback = scores.fallingBack();
      if (fallback) {
        metrics.guardFallbacks.increment();
      }
      metrics.trackTrust(prediction.modelId(), prediction.modelVersion(), memory);
    }
    if (parked != null) {
      Sample waiting = parked.withFeatures(features);
      if (waiting.written()) {
        // Its sample went out unscored when it was due; the blend learns from these features.
        context.forward(
            new Record<Object, Object>(
                waiting.modelId().getBytes(StandardCharsets.UTF_8),
                waiting.encodeLateFeatures(),
                waiting.timestamp()),
            CompensationTopology.SAMPLES_SINK);
      }
      buffer.compensated(waiting);
    } else {
      Sample waiting =
          buffer.add(
              prediction.withFeatures(features),
              early -> writeNow(early, early.timestamp()),
              this::deadLetter);
      if (waiting.written()) {
        publish(waiting, waiting.timestamp());
      }
    }
    context.forward(
        new Record<Object, Object>(
            prediction.requestId(),
            new Compensation(
                prediction.requestId(),
                prediction.modelId(),
                prediction.modelVersion(),
                prediction.timestamp(),
                prediction.score(),
                compensated,
                compensated - prediction.score(),
                evidence,
                fieldEvidence,
                settings.mode().configName(),
                trust,
                fallback),
            recordTimestamp),
        CompensationTopology.COMPENSATIONS_SINK);
    metrics.compensations.increment();
    metrics.evidence.record(evidence);
    metrics.latency.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
  }

  /** The progress this task has published: the replica must have read it before serving it. */
  private long ownProgress() {
    return published == null ? Long.MIN_VALUE : published.through();
  }

  /** Publishes the compensations of the deferred predictions the replica has served. */
  private void compensateDeferred() {
    if (deferred.isEmpty()) {
      return;
    }
    List<ErrorMemoryStore.Served> served = memory.takeServed(task);
    for (ErrorMemoryStore.Served done : served) {
      Sample prediction = done.read().prediction();
      if (!deferred.remove(new DeferredKey(prediction.timestamp(), prediction.requestId()))) {
        continue; // served before a restart of this task, and published then
      }
      AttributionBuffer.Parked parked = buffer.parked(prediction.requestId());
      done.scored().ifPresent(memory::announce);
      if (done.timedOut()) {
        metrics.alignmentTimeouts.increment();
      }
      compensate(
          prediction,
          done.scored(),
          parked.deferral().recordTimestamp(),
          System.nanoTime(),
          parked.sample());
      metrics.alignmentWait.record(
          Math.max(0, context.currentSystemTimeMs() - done.read().deferredAt()),
          TimeUnit.MILLISECONDS);
    }
    if (!served.isEmpty()) {
      publishProgress(); // the reads served held every replica back
    }
  }

  /**
   * Registers every deferred prediction with the replica (a task that starts, or restarts), after
   * moving the deferrals an earlier version kept in a store of their own into the buffer.
   */
  private void registerDeferred() {
    List<Bytes> moved = new ArrayList<>();
    try (KeyValueIterator<Bytes, byte[]> it = legacyDeferred.all()) {
      while (it.hasNext()) {
        KeyValue<Bytes, byte[]> entry = it.next();
        ByteBuffer deferral = ByteBuffer.wrap(entry.value);
        buffer.defer(
            DerivedIndex.id(entry.key),
            new AttributionBuffer.Deferral(deferral.getLong(), deferral.getLong()));
        moved.add(entry.key);
      }
    }
    moved.forEach(legacyDeferred::delete);
    deferred.clear();
    for (AttributionBuffer.Parked parked : buffer.deferred()) {
      Sample prediction = parked.sample();
      deferred.add(new DeferredKey(prediction.timestamp(), prediction.requestId()));
      memory.register(
          task, prediction.withFeatures(null), parked.deferral().deferredAt(), ownProgress());
    }
  }

  private void attach(Outcome outcome, String key) {
    lastOutcomeAt = context.currentSystemTimeMs();
    buffer.outcomeRead(outcome.timestamp());
    RecordMetadata source = context.recordMetadata().orElseThrow();
    Sample labelled =
        buffer.attach(
            new SourcedOutcome(outcome, key, source.topic(), source.partition(), source.offset()),
            sample -> writeNow(sample, outcome.timestamp()));
    if (labelled != null && labelled.written()) {
      publish(labelled, Math.max(outcome.timestamp(), labelled.timestamp()));
    }
  }

  private static final String FIRST_PREDICTION = "prediction:";
  private static final String EXPLICIT_NEGATIVE = "explicit-negative:";
  private static final String IMPLICIT_NEGATIVE = "implicit-negative:";

  /**
   * Whether a sample whose outcome has just arrived goes to the memories now rather than when its
   * window closes. In auto mode, for an outcome at time t: once this task's inputs have shown, for
   * the sample's model version, an explicit negative (an outcome with label below 0.5, this one
   * included) at or before t, a whole attribution window of predictions whose windows closed before
   * t (the first two windows write on close), and no window closing before t without an outcome (an
   * implicit negative; counted only with {@code compensation.implicit.negatives}). These are
   * event-time facts of the task's input partitions, kept in a changelogged store, so a replay or a
   * restarted task decides alike (up to predictions read more than a window after outcomes of their
   * time); the decision travels with the sample as its effective time, so every replica applies it
   * alike. A stream whose negatives are implicit shows a window without an outcome within its first
   * window and stays on close.
   */
  private boolean writeNow(Sample labelled, long outcomeTime) {
    return switch (settings.writeMode()) {
      case EAGER -> true;
      case ON_CLOSE -> false;
      case AUTO -> {
        String model = labelled.memoryName();
        long now = Math.max(outcomeTime, labelled.timestamp());
        if (labelled.label() < 0.5) {
          firstSeen(EXPLICIT_NEGATIVE + model, now);
        }
        Long explicit = shownCache.get(EXPLICIT_NEGATIVE + model);
        Long firstPrediction = shownCache.get(FIRST_PREDICTION + model);
        Long implicit = shownCache.get(IMPLICIT_NEGATIVE + model);
        yield explicit != null
            && explicit <= now
            && firstPrediction != null
            && firstPrediction + 2 * settings.attributionWindowMs() <= now
            && (implicit == null || implicit >= now)
            && !(settings.implicitNegatives() && buffer.unlabelledClosingBefore(model, now));
      }
    };
  }

  /** Records that the stream showed {@code what} at event time {@code time}, keeping the first. */
  private void firstSeen(String what, long time) {
    Long known = shownCache.get(what);
    if (known == null || time < known) {
      shownCache.put(what, time);
      shown.put(what, time);
    }
  }

  private static Sample unlabelled(
      Prediction prediction, float[] key, Map<String, String> fieldValues, double[] features) {
    return new Sample(
        prediction.modelId(),
        prediction.modelVersion(),
        prediction.requestId(),
        prediction.timestamp(),
        prediction.score(),
        Double.NaN,
        key,
        fieldValues,
        features,
        false);
  }

  /**
   * The first key dimension declared for a model version is the only one accepted. A task that
   * meets a new model version declares its dimension on the labelled-samples topic (an unlabelled
   * sample); the replicated memory keeps the first declaration, so every task and instance agrees.
   */
  private void checkDimension(Prediction prediction, float[] key) {
    String model = Sample.memoryName(prediction.modelId(), prediction.modelVersion());
    Integer established = confirmedDimensions.get(model);
    if (established == null) {
      OptionalInt declared = memory.dimension(prediction.modelId(), prediction.modelVersion());
      if (declared.isPresent()) {
        established = declared.getAsInt();
        confirmedDimensions.put(model, established);
      } else {
        established = dimensions.get(model);
      }
    }
    if (established == null) {
      dimensions.put(model, key.length);
      publish(unlabelled(prediction, key, null, null), prediction.timestamp());
      return;
    }
    if (established != key.length) {
      throw new InvalidEventException(
          EMBEDDING_DIMENSION_MISMATCH,
          model + " has dimension " + established + ", prediction has " + key.length);
    }
  }

  private void onWallClock(long now) {
    buffer.idle(
        idle(predictionsTopic, lastPredictionAt, now), idle(outcomesTopic, lastOutcomeAt, now));
    // Also on the wall clock: a stream's last outcomes move no stream time when its predictions
    // got there first.
    closeWindows();
    memory.serveOverdue(now);
    compensateDeferred();
  }

  /**
   * An input is idle when it has brought nothing for the idle time and nothing of it is unread: a
   * task that is only behind (the thread busy with other tasks, a backlog) is not idle.
   */
  private boolean idle(String topic, long lastReadAt, long now) {
    return now - lastReadAt >= settings.inputIdleMs()
        && lag.unread(topic, task).orElse(Long.MAX_VALUE) == 0;
  }

  /** Closes the windows the inputs have passed, then tells the replicas how far this task got. */
  private void closeWindows() {
    buffer.closeDue(
        (sample, closedAt) -> {
          if (sample.written()) {
            return;
          }
          Sample labelled = sample.withLabel(sample.label(), true);
          if (!sample.labelled()) {
            if (!settings.implicitNegatives()) {
              metrics.unlabelledDropped.increment();
              return;
            }
            labelled = sample.withLabel(0.0, true);
            metrics.implicitNegatives.increment();
            if (settings.writeMode() == WriteMode.AUTO) {
              firstSeen(IMPLICIT_NEGATIVE + sample.memoryName(), closedAt);
            }
          }
          if (publish(labelled, closedAt)) {
            // Still waiting to be scored: marked written, so its features follow once it is.
            buffer.update(labelled);
          }
        },
        this::deadLetter,
        // A deferred prediction stays in the buffer, its window closed or not, until compensated.
        deferred.isEmpty()
            ? Long.MAX_VALUE
            : deferred.first().time() + settings.attributionWindowMs());
    publishProgress();
  }

  /**
   * Publishes this task's progress to each model's partition, after the samples it covers, when it
   * changed or a model is new, also before it has closed anything (through -1): replicas then know
   * to wait for it.
   */
  private void publishProgress() {
    ReplicaProgress progress =
        new ReplicaProgress(
            task,
            buffer.replicaThrough(),
            buffer.idle(),
            tasks,
            deferred.isEmpty() ? Long.MAX_VALUE : deferred.first().time());
    if (!progress.equals(published)) {
      published = progress;
      publishedTo.clear();
    }
    Set<String> targets = new java.util.TreeSet<>(models);
    targets.addAll(memory.modelIds());
    targets.removeAll(publishedTo);
    byte[] value = progress.encode();
    long timestamp = Math.max(0, progress.through());
    for (String model : targets) {
      context.forward(
          new Record<Object, Object>(model.getBytes(StandardCharsets.UTF_8), value, timestamp),
          CompensationTopology.SAMPLES_SINK);
    }
    publishedTo.addAll(targets);
  }

  /** An outcome the buffer kept and then rejected, to the dead-letter topic as if just read. */
  private void deadLetter(AttributionBuffer.RejectedOutcome rejected) {
    SourcedOutcome sourced = rejected.outcome();
    Outcome outcome = sourced.outcome();
    Headers headers =
        DeadLetterHandler.headers(
            rejected.reason(),
            "outcome for " + outcome.requestId() + ": " + rejected.detail(),
            sourced.topic(),
            sourced.partition(),
            sourced.offset(),
            InvalidEventException.class.getName());
    context.forward(
        new Record<Object, Object>(
            sourced.key() == null ? null : sourced.key().getBytes(StandardCharsets.UTF_8),
            EventCodec.encode(outcome),
            context.currentStreamTimeMs(),
            headers),
        CompensationTopology.DEAD_LETTERS_SINK);
    metrics.deadLetter(rejected.reason(), sourced.topic());
  }

  /**
   * Publishes a sample effective at {@code effective} (the record's timestamp); one whose
   * prediction is still deferred says its features are pending.
   */
  private boolean publish(Sample sample, long effective) {
    boolean pending =
        sample.labelled()
            && !deferred.isEmpty()
            && deferred.contains(new DeferredKey(sample.timestamp(), sample.requestId()));
    context.forward(
        CompensationTopology.sampleRecord(sample, effective, pending),
        CompensationTopology.SAMPLES_SINK);
    if (sample.labelled()) {
      metrics.samplesPublished.increment();
    }
    return pending;
  }

  @Override
  public void close() {
    if (memory != null) {
      memory.unregister(task);
    }
  }
}
