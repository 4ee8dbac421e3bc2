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

  /** Deferred predictions compensated per pass, so one pass never holds a long iterator open. */
  private static final int PASS = 1_000;

  private final CompensationSettings settings;
  private final CompensationMetrics metrics;
  private final PredictionKeys keys;
  private final String predictionsTopic;
  private final String outcomesTopic;
  private final InputLag lag;
  private ProcessorContext<Object, Object> context;
  private AttributionBuffer buffer;
  private KeyValueStore<String, Integer> dimensions;
  private KeyValueStore<Bytes, byte[]> deferred;
  private ErrorMemoryStore memory;
  private int task;
  private boolean anyDeferred;

  /**
   * Event time and model of the earliest deferred prediction; meaningful while {@code anyDeferred}.
   */
  private long earliestDeferred;

  private String earliestModel;

  /** Wall-clock time the earliest deferred prediction was deferred at. */
  private long earliestDeferredAt;

  private long lastPredictionAt;
  private long lastOutcomeAt;
  private ReplicaProgress published;

  /** Dimensions the replicated memory has confirmed; final once confirmed, so kept on the heap. */
  private final Map<String, Integer> confirmedDimensions = new HashMap<>();

  /** Models this task has read predictions of: it publishes its progress for each. */
  private final Set<String> models = new HashSet<>();

  CompensationProcessor(
      CompensationSettings settings,
      CompensationMetrics metrics,
      String predictionsTopic,
      String outcomesTopic,
      InputLag lag) {
    this.settings = settings;
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
    deferred = context.getStateStore(DEFERRED_STORE);
    memory = context.getStateStore(ErrorMemoryStore.NAME);
    task = context.taskId().partition();
    lastPredictionAt = context.currentSystemTimeMs();
    lastOutcomeAt = lastPredictionAt;
    try (KeyValueIterator<Bytes, byte[]> it = deferred.all()) {
      anyDeferred = it.hasNext();
    }
    holdForEarliestDeferred();
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
      predict(prediction);
    } else {
      attach((Outcome) record.value(), record.key());
    }
  }

  private void predict(Prediction prediction) {
    long started = System.nanoTime();
    lastPredictionAt = context.currentSystemTimeMs();
    float[] key = keys.of(prediction);
    if (buffer.hasPrediction(prediction.requestId())) {
      throw new InvalidEventException(
          DUPLICATE_PREDICTION, "requestId " + prediction.requestId() + " seen already");
    }
    checkDimension(prediction, key);
    buffer.predictionRead(prediction.timestamp());
    models.add(prediction.modelId());
    Sample unscored =
        unlabelled(
            prediction, key, PredictionKeys.fieldValues(prediction, settings.fields()), null);
    if (!anyDeferred && aligned(unscored)) {
      compensate(unscored, started, false);
      return;
    }
    // Parked unscored: a sample due before its prediction is scored goes out without the blend's
    // features, and they follow (see ReplicaAlignment).
    Sample parked = buffer.add(unscored, settings.eagerWrites(), this::deadLetter);
    if (parked.written()) {
      publish(parked, parked.timestamp());
    }
    deferred.put(
        DerivedIndex.key(prediction.timestamp(), prediction.requestId()),
        ByteBuffer.allocate(Long.BYTES).putLong(context.currentSystemTimeMs()).array());
    metrics.deferred.increment();
    if (!anyDeferred || prediction.timestamp() < earliestDeferred) {
      anyDeferred = true;
      earliestDeferred = prediction.timestamp();
      earliestModel = prediction.modelId();
      earliestDeferredAt = context.currentSystemTimeMs();
      memory.hold(task, earliestDeferred - 1);
    }
  }

  /** Whether the replica holds every sample effective before the prediction, within tolerance. */
  private boolean aligned(Sample prediction) {
    return alignedAt(prediction.modelId(), prediction.timestamp());
  }

  private boolean alignedAt(String modelId, long timestamp) {
    return memory.appliedThrough(modelId) >= timestamp - settings.alignmentToleranceMs();
  }

  /** A deferred prediction that has waited its longest is compensated from what the replica has. */
  private boolean waitedLongEnough(byte[] deferredAt) {
    return context.currentSystemTimeMs() - ByteBuffer.wrap(deferredAt).getLong()
        >= settings.alignmentMaxWaitMs();
  }

  /**
   * Scores a prediction, publishes its compensation and parks it (or, when {@code parked}, updates
   * the parked copy with the features it was scored with and publishes it if its outcome came and
   * writes are eager).
   */
  private void compensate(Sample prediction, long started, boolean parked) {
    Optional<ErrorMemoryStore.Scored> scored =
        memory.score(
            prediction.modelId(),
            prediction.modelVersion(),
            prediction.key(),
            prediction.score(),
            prediction.timestamp(),
            prediction.fieldValues(),
            true);
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
    if (parked) {
      Sample waiting = buffer.waiting(prediction.requestId()).withFeatures(features);
      if (waiting.written()) {
        // Its sample went out unscored when it was due; the blend learns from these features.
        context.forward(
            new Record<Object, Object>(
                waiting.modelId().getBytes(StandardCharsets.UTF_8),
                waiting.encodeLateFeatures(),
                waiting.timestamp()),
            CompensationTopology.SAMPLES_SINK);
      }
      buffer.update(waiting);
    } else {
      Sample waiting =
          buffer.add(prediction.withFeatures(features), settings.eagerWrites(), this::deadLetter);
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
            prediction.timestamp()),
        CompensationTopology.COMPENSATIONS_SINK);
    metrics.compensations.increment();
    metrics.evidence.record(evidence);
    metrics.latency.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
  }

  /** Compensates, in event-time order, the deferred predictions the replica is aligned for. */
  private void compensateDeferred() {
    while (anyDeferred
        && (alignedAt(earliestModel, earliestDeferred)
            || context.currentSystemTimeMs() - earliestDeferredAt
                >= settings.alignmentMaxWaitMs())) {
      List<KeyValue<Bytes, byte[]>> head = new ArrayList<>(PASS);
      try (KeyValueIterator<Bytes, byte[]> it = deferred.all()) {
        while (it.hasNext() && head.size() < PASS) {
          head.add(it.next());
        }
      }
      for (KeyValue<Bytes, byte[]> entry : head) {
        Sample prediction = buffer.waiting(DerivedIndex.id(entry.key));
        if (prediction == null && System.getProperty("hindsight.debug") != null) {
          System.err.println("DBG unbacked " + DerivedIndex.id(entry.key) + " t=" + DerivedIndex.time(entry.key) + " earliest=" + earliestDeferred + " closed=" + buffer.closedUntil() + " buffer=" + buffer.debug(DerivedIndex.id(entry.key)));
        }
        if (prediction == null) {
          // Only a deferral the buffer no longer backs (state from a version that purged it).
          deferred.delete(entry.key);
          continue;
        }
        // Nothing from this prediction's future may reach the replica before it is compensated.
        earliestDeferred = prediction.timestamp();
        earliestModel = prediction.modelId();
        earliestDeferredAt = ByteBuffer.wrap(entry.value).getLong();
        memory.hold(task, earliestDeferred - 1);
        if (!aligned(prediction)) {
          if (!waitedLongEnough(entry.value)) {
            return;
          }
          metrics.alignmentTimeouts.increment();
        }
        compensate(prediction, System.nanoTime(), true);
        deferred.delete(entry.key);
        metrics.alignmentWait.record(
            Math.max(0, context.currentSystemTimeMs() - ByteBuffer.wrap(entry.value).getLong()),
            TimeUnit.MILLISECONDS);
      }
      if (head.size() < PASS) {
        anyDeferred = false;
        memory.unhold(task);
      }
    }
  }

  private void holdForEarliestDeferred() {
    if (!anyDeferred) {
      memory.unhold(task);
      return;
    }
    try (KeyValueIterator<Bytes, byte[]> it = deferred.all()) {
      while (it.hasNext()) {
        KeyValue<Bytes, byte[]> entry = it.next();
        Sample prediction = buffer.waiting(DerivedIndex.id(entry.key));
        if (prediction != null) {
          earliestDeferred = prediction.timestamp();
          earliestModel = prediction.modelId();
          earliestDeferredAt = ByteBuffer.wrap(entry.value).getLong();
          memory.hold(task, earliestDeferred - 1);
          return;
        }
      }
    }
  }

  private void attach(Outcome outcome, String key) {
    lastOutcomeAt = context.currentSystemTimeMs();
    buffer.outcomeRead(outcome.timestamp());
    RecordMetadata source = context.recordMetadata().orElseThrow();
    Sample labelled =
        buffer.attach(
            new SourcedOutcome(outcome, key, source.topic(), source.partition(), source.offset()),
            settings.eagerWrites());
    if (labelled != null && settings.eagerWrites()) {
      publish(labelled, Math.max(outcome.timestamp(), labelled.timestamp()));
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

  private long lastDebug;

  private void onWallClock(long now) {
    if (System.getProperty("hindsight.debug") != null && now - lastDebug > 5000) {
      lastDebug = now;
      System.err.println("DBG wall task " + task + " any=" + anyDeferred + " earliest=" + earliestDeferred + " model=" + earliestModel + " applied=" + (earliestModel == null ? 0 : memory.appliedThrough(earliestModel)) + " waited=" + (now - earliestDeferredAt) + " closed=" + buffer.closedUntil() + " published=" + published);
    }
    buffer.idle(
        idle(predictionsTopic, lastPredictionAt, now), idle(outcomesTopic, lastOutcomeAt, now));
    // Also on the wall clock: a stream's last outcomes move no stream time when its predictions
    // got there first.
    closeWindows();
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
          Sample labelled = sample;
          if (!sample.labelled()) {
            if (!settings.implicitNegatives()) {
              metrics.unlabelledDropped.increment();
              return;
            }
            labelled = sample.withLabel(0.0, true);
            metrics.implicitNegatives.increment();
          }
          publish(labelled, closedAt);
        },
        this::deadLetter,
        // A deferred prediction stays in the buffer, its window closed or not, until compensated.
        anyDeferred ? earliestDeferred + settings.attributionWindowMs() : Long.MAX_VALUE);
    publishProgress();
  }

  /**
   * Publishes this task's progress to each model's partition, after the samples it covers, when it
   * changed.
   */
  private void publishProgress() {
    ReplicaProgress progress = new ReplicaProgress(task, buffer.closedUntil(), buffer.idle());
    if (progress.equals(published) || progress.through() < 0) {
      return;
    }
    Set<String> targets = new java.util.TreeSet<>(models);
    targets.addAll(memory.modelIds());
    byte[] value = progress.encode();
    long timestamp = Math.max(0, progress.through());
    for (String model : targets) {
      context.forward(
          new Record<Object, Object>(model.getBytes(StandardCharsets.UTF_8), value, timestamp),
          CompensationTopology.SAMPLES_SINK);
    }
    published = progress;
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

  /** Publishes a sample effective at {@code effective}: the record's timestamp says when. */
  private void publish(Sample sample, long effective) {
    context.forward(
        CompensationTopology.sampleRecord(sample, effective), CompensationTopology.SAMPLES_SINK);
    if (sample.labelled()) {
      metrics.samplesPublished.increment();
    }
  }

  @Override
  public void close() {
    if (memory != null) {
      memory.unhold(task);
    }
  }
}
