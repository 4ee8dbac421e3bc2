package io.hindsight.compensation;

import io.hindsight.events.Outcome;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Attaches an outcome to its waiting prediction, or keeps it for the grace period when its
 * prediction has not arrived yet. Late and duplicate outcomes are rejected to the dead-letter topic
 * with their reason (orphans too, at once, when there is no grace period). In eager mode the
 * labelled sample is published at once; otherwise when the window closes.
 */
final class OutcomeProcessor implements Processor<String, Outcome, Object, Object> {
  private final CompensationSettings settings;
  private final CompensationMetrics metrics;
  private ProcessorContext<Object, Object> context;
  private AttributionBuffer buffer;

  OutcomeProcessor(CompensationSettings settings, CompensationMetrics metrics) {
    this.settings = settings;
    this.metrics = metrics;
  }

  @Override
  public void init(ProcessorContext<Object, Object> context) {
    this.context = context;
    buffer = AttributionBuffer.of(context, settings);
  }

  @Override
  public void process(Record<String, Outcome> record) {
    RecordMetadata source = context.recordMetadata().orElseThrow();
    Sample labelled =
        buffer.attach(
            new SourcedOutcome(
                record.value(), record.key(), source.topic(), source.partition(), source.offset()),
            settings.eagerWrites());
    if (labelled != null && settings.eagerWrites()) {
      context.forward(
          CompensationTopology.sampleRecord(labelled, record.timestamp()),
          CompensationTopology.SAMPLES_SINK);
      metrics.samplesPublished.increment();
    }
  }
}
