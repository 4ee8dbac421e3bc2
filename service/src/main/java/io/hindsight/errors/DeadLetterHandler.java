package io.hindsight.errors;

import io.hindsight.events.InvalidEventException;
import io.hindsight.events.RejectionReason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends every record Hindsight cannot use — unparseable, invalid, or failing in a processor — to
 * the dead-letter topic with its original key and bytes, headers naming the reason, source topic,
 * partition, offset and exception, and counts it per reason. Processing always resumes. Kafka
 * Streams writes the dead-letter records in the same transaction as the task's output.
 */
public final class DeadLetterHandler
    implements DeserializationExceptionHandler, ProcessingExceptionHandler {

  /** Streams configuration key carrying the dead-letter topic name. */
  public static final String TOPIC_CONFIG = "hindsight.dlq.topic";

  /** Streams configuration key carrying the {@link MeterRegistry} (an object value). */
  public static final String REGISTRY_CONFIG = "hindsight.metrics.registry";

  public static final String REASON = "hindsight.dlq.reason";
  public static final String DETAIL = "hindsight.dlq.detail";
  public static final String SOURCE_TOPIC = "hindsight.dlq.topic";
  public static final String PARTITION = "hindsight.dlq.partition";
  public static final String OFFSET = "hindsight.dlq.offset";
  public static final String EXCEPTION = "hindsight.dlq.exception";

  private static final Logger log = LoggerFactory.getLogger(DeadLetterHandler.class);

  private String topic = "dlq";
  private MeterRegistry registry = Metrics.globalRegistry;
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();

  @Override
  public void configure(Map<String, ?> configs) {
    Object configuredTopic = configs.get(TOPIC_CONFIG);
    if (configuredTopic != null) {
      topic = configuredTopic.toString();
    }
    if (configs.get(REGISTRY_CONFIG) instanceof MeterRegistry configured) {
      registry = configured;
    }
  }

  @Override
  public DeserializationExceptionHandler.Response handleError(
      ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception exception) {
    return DeserializationExceptionHandler.Response.resume(
        List.of(deadLetter(context, record.key(), record.value(), exception)));
  }

  @Override
  public ProcessingExceptionHandler.Response handleError(
      ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
    return ProcessingExceptionHandler.Response.resume(
        List.of(deadLetter(context, context.sourceRawKey(), context.sourceRawValue(), exception)));
  }

  private ProducerRecord<byte[], byte[]> deadLetter(
      ErrorHandlerContext context, byte[] key, byte[] value, Exception exception) {
    InvalidEventException invalid = findInvalidEvent(exception);
    RejectionReason reason = invalid != null ? invalid.reason() : RejectionReason.PROCESSING_ERROR;
    Throwable cause = invalid != null ? invalid : exception;
    Headers headers =
        headers(
            reason,
            String.valueOf(cause.getMessage()),
            context.topic(),
            context.partition(),
            context.offset(),
            cause.getClass().getName());
    counters
        .computeIfAbsent(
            reason.code() + "|" + context.topic(), k -> counter(registry, reason, context.topic()))
        .increment();
    if (invalid == null) {
      log.error(
          "Processing failed on {}-{}@{}; record sent to {}",
          context.topic(),
          context.partition(),
          context.offset(),
          topic,
          exception);
    } else {
      log.debug(
          "Rejected {}-{}@{}: {}",
          context.topic(),
          context.partition(),
          context.offset(),
          invalid.getMessage());
    }
    return new ProducerRecord<>(topic, null, key, value, headers);
  }

  /** The headers of a dead-letter record: why it was rejected and where it was read. */
  public static Headers headers(
      RejectionReason reason,
      String detail,
      String sourceTopic,
      int partition,
      long offset,
      String exception) {
    Headers headers = new RecordHeaders();
    headers.add(REASON, utf8(reason.code()));
    headers.add(DETAIL, utf8(detail));
    headers.add(SOURCE_TOPIC, utf8(sourceTopic));
    headers.add(PARTITION, utf8(Integer.toString(partition)));
    headers.add(OFFSET, utf8(Long.toString(offset)));
    headers.add(EXCEPTION, utf8(exception));
    return headers;
  }

  /** The counter of dead letters for a reason and source topic, registered once per registry. */
  public static Counter counter(
      MeterRegistry registry, RejectionReason reason, String sourceTopic) {
    return Counter.builder("hindsight.dlq.records")
        .description("Records sent to the dead-letter topic")
        .tag("reason", reason.code())
        .tag("topic", String.valueOf(sourceTopic))
        .register(registry);
  }

  private static InvalidEventException findInvalidEvent(Throwable exception) {
    for (Throwable t = exception; t != null; t = t.getCause()) {
      if (t instanceof InvalidEventException invalid) {
        return invalid;
      }
    }
    return null;
  }

  private static byte[] utf8(String s) {
    return s == null ? new byte[0] : s.getBytes(StandardCharsets.UTF_8);
  }
}
