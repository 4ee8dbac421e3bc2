package io.hindsight.rewrite;

import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/** Applies the reformulations log to this instance's chain replica (the global thread). */
final class ReplicaWriter implements Processor<byte[], byte[], Void, Void> {
  private RewriteReplica replica;

  @Override
  public void init(ProcessorContext<Void, Void> context) {
    replica = context.getStateStore(RewriteReplica.NAME);
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    replica.apply(Reformulation.decode(record.value()));
  }
}
