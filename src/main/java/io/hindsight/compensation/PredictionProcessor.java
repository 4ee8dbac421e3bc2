package io.hindsight.compensation;

import static io.hindsight.events.RejectionReason.DUPLICATE_PREDICTION;
import static io.hindsight.events.RejectionReason.EMBEDDING_DIMENSION_MISMATCH;

import io.hindsight.errors.DeadLetterHandler;
import io.hindsight.events.Compensation;
import io.hindsight.events.EventCodec;
import io.hindsight.events.InvalidEventException;
import io.hindsight.events.Outcome;
import io.hindsight.events.Prediction;
import io.hindsight.memory.CompensationScores;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Compensates each prediction from the local memory replica, publishes exactly one compensation,
 * and parks the prediction until its attribution window closes; on a stream-time punctuator it
 * closes due windows and publishes their labelled samples.
 */
final class PredictionProcessor implements Processor<String, Prediction, Object, Object> {
  static final String DIMENSIONS_STORE = "compensation-model-dimensions";

  private final CompensationSettings settings;
  private final CompensationMetrics metrics;
  private final PredictionKeys keys;
  private ProcessorContext<Object, Object> context;
  private AttributionBuffer buffer;
  private KeyValueStore<String, Integer> dimensions;
  private ErrorMemoryStore memory;

  /** Dimensions the replicated memory has confirmed; final once confirmed, so kept on the heap. */
  private final Map<String, Integer> confirmedDimensions = new HashMap<>();

  PredictionProcessor(CompensationSettings settings, CompensationMetrics metrics) {
    this.settings = settings;
    this.metrics = metrics;
    this.keys = new PredictionKeys(settings.featuresDimension());
  }

  @Override
  public void init(ProcessorContext<Object, Object> context) {
    this.context = context;
    buffer = AttributionBuffer.of(context, settings);
    // This processor closes the windows, so it owns the index; processing starts after every init.
    buffer.rebuildIndex();
    dimensions = context.getStateStore(DIMENSIONS_STORE);
    memory = context.getStateStore(ErrorMemoryStore.NAME);
    context.schedule(
        Duration.ofMillis(settings.punctuateIntervalMs()),
        PunctuationType.STREAM_TIME,
        this::closeWindows);
  }

  @Override
  public void process(Record<String, Prediction> record) {
    long started = System.nanoTime();
    Prediction prediction = record.value();
    float[] key = keys.of(prediction);
    if (buffer.hasPrediction(prediction.requestId())) {
      throw new InvalidEventException(
          DUPLICATE_PREDICTION, "requestId " + prediction.requestId() + " seen already");
    }
    checkDimension(prediction, key);
    Map<String, String> fieldValues = PredictionKeys.fieldValues(prediction, settings.fields());
    Optional<ErrorMemoryStore.Scored> scored =
        memory.score(
            prediction.modelId(),
            prediction.modelVersion(),
            key,
            prediction.score(),
            prediction.timestamp(),
            fieldValues,
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
    Compensation compensation =
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
            fallback);
    Sample parked =
        buffer.add(
            unlabelled(prediction, key, fieldValues, features),
            settings.eagerWrites(),
            this::deadLetter);
    if (parked.written()) {
      publish(parked, prediction.timestamp());
    }
    context.forward(
        record.withKey(prediction.requestId()).withValue(compensation),
        CompensationTopology.COMPENSATIONS_SINK);
    metrics.compensations.increment();
    metrics.evidence.record(evidence);
    metrics.latency.record(System.nanoTime() - started, java.util.concurrent.TimeUnit.NANOSECONDS);
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

  private void closeWindows(long streamTime) {
    buffer.closeUntil(
        streamTime,
        sample -> {
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
          publish(labelled, streamTime);
        },
        this::deadLetter);
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

  private void publish(Sample sample, long timestamp) {
    context.forward(
        CompensationTopology.sampleRecord(sample, timestamp), CompensationTopology.SAMPLES_SINK);
    if (sample.labelled()) {
      metrics.samplesPublished.increment();
    }
  }
}
