package io.hindsight.rewrite;

import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Applies the reformulations log to this instance's chain replica (the global thread, also while
 * the store is being restored), with each record's offset so that one the replica's snapshot
 * reflects already is skipped.
 */
final class ReplicaWriter implements Processor<byte[], byte[], Void, Void> {
  private ProcessorContext<Void, Void> context;
  private RewriteReplica replica;

  @Override
  public void init(ProcessorContext<Void, Void> context) {
    this.context = context;
    replica = context.getStateStore(RewriteReplica.NAME);
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    RecordMetadata metadata =
        context
            .recordMetadata()
            .orElseThrow(() -> new IllegalStateException("reformulation without metadata"));
    replica.apply(metadata.offset(), record.value());
  }
}
