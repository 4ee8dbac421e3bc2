package io.hindsight.compensation;

import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Applies labelled samples and tasks' progress to this instance's memory replica, with the record's
 * partition and offset so that a record delivered twice is counted once. Runs on the global thread,
 * also while the store is being restored.
 */
final class MemoryWriter implements Processor<byte[], byte[], Void, Void> {
  private ProcessorContext<Void, Void> context;
  private ErrorMemoryStore store;

  @Override
  public void init(ProcessorContext<Void, Void> context) {
    this.context = context;
    this.store = context.getStateStore(ErrorMemoryStore.NAME);
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    RecordMetadata metadata =
        context
            .recordMetadata()
            .orElseThrow(() -> new IllegalStateException("labelled sample without metadata"));
    store.applyRecord(
        metadata.partition(),
        metadata.offset(),
        record.key(),
        record.value(),
        record.timestamp(),
        record.headers().lastHeader(CompensationTopology.FEATURES_PENDING) != null);
  }
}
