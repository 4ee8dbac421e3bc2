package io.hindsight.loadtests.harness;

import io.hindsight.config.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Where a prediction's latency goes ({@code --trace-path}): a second consumer, {@code
 * read_uncommitted} and fetching every 10 ms, sees each prediction when it is readable on its topic
 * and its compensation when the service's producer has written it (before the transaction commits
 * under exactly-once); the observer's {@code read_committed} arrival closes the path. Segments, per
 * prediction of the measured window: intended send → on the predictions topic (the generator's
 * producer and the broker); → compensation written (the service's fetch, task scheduling,
 * processing and producer); → compensation committed and read by the observer (the transaction's
 * commit, its markers and the last stable offset). Each segment is at most one fetch late at either
 * end (about 10 ms here, plus this thread's own scheduling).
 */
final class PathTrace implements Runnable {
  private final Map<String, Object> consumerConfig;
  private final Topics topics;
  private final LoadClock clock;
  private final OutputObserver observer;
  private volatile boolean stopped;

  /** Sequence → when the compensation was first readable uncommitted; taken by the observer. */
  private final ConcurrentHashMap<Integer, Long> written = new ConcurrentHashMap<>();

  private final Histogram produced = new Histogram(3_600_000_000L, 3);
  private final Histogram processed = new Histogram(3_600_000_000L, 3);
  private final Histogram committed = new Histogram(3_600_000_000L, 3);
  private final AtomicLong committedBeforeWritten = new AtomicLong();

  PathTrace(String bootstrapServers, Topics topics, LoadClock clock, OutputObserver observer) {
    this.topics = topics;
    this.clock = clock;
    this.observer = observer;
    this.consumerConfig =
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrapServers,
            ConsumerConfig.ISOLATION_LEVEL_CONFIG,
            "read_uncommitted",
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
            false,
            ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
            5000,
            ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG,
            10);
  }

  @Override
  public void run() {
    Map<Integer, Long> visible = new HashMap<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(
            consumerConfig, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (String topic : List.of(topics.predictions().name(), topics.compensations().name())) {
        consumer
            .partitionsFor(topic, Duration.ofSeconds(30))
            .forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
      }
      consumer.assign(partitions);
      consumer.seekToEnd(partitions);
      while (!stopped) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(50))) {
          long now = clock.nowMicros();
          String key = new String(record.key(), StandardCharsets.UTF_8);
          if (!key.startsWith("r")) {
            continue; // probes, bad records
          }
          int dash = key.indexOf('-');
          int seq = Integer.parseInt(key.substring(1, dash));
          long intended = Long.parseLong(key.substring(dash + 1));
          if (!observer.window().containsIntended(intended)) {
            continue;
          }
          if (record.topic().equals(topics.predictions().name())) {
            visible.put(seq, now);
            synchronized (this) {
              produced.recordValue(Math.max(0, now - intended));
            }
          } else {
            Long seen = visible.remove(seq);
            if (seen != null && written.putIfAbsent(seq, now) == null) {
              synchronized (this) {
                processed.recordValue(Math.max(0, now - seen));
              }
            }
          }
        }
      }
    }
  }

  /** The observer read {@code seq}'s compensation committed at {@code nowMicros}. */
  void committed(int seq, long nowMicros) {
    Long at = written.remove(seq);
    if (at == null) {
      committedBeforeWritten.incrementAndGet();
      return;
    }
    synchronized (this) {
      committed.recordValue(Math.max(0, nowMicros - at));
    }
  }

  /** Starts a new measured window. */
  synchronized void reset() {
    produced.reset();
    processed.reset();
    committed.reset();
    committedBeforeWritten.set(0);
    written.clear();
  }

  synchronized Map<String, Object> summary() {
    Map<String, Object> path = new LinkedHashMap<>();
    path.put("intended_to_prediction_readable", Report.percentilesMs(produced));
    path.put("prediction_readable_to_compensation_written", Report.percentilesMs(processed));
    path.put("compensation_written_to_committed_read", Report.percentilesMs(committed));
    path.put("committed_seen_before_written", committedBeforeWritten.get());
    path.put(
        "definition",
        "a read_uncommitted consumer (fetch.max.wait.ms 10) sees each prediction on its topic and"
            + " its compensation as written; the observer's read_committed arrival ends the path");
    return path;
  }

  void stop() {
    stopped = true;
  }
}
