package io.hindsight.loadtests.harness;

import io.hindsight.config.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * An independent consumer of what the service wrote: compensations (latency per prediction, from
 * its intended send time; freshness probes), rewrites (when each rule first appears) and the
 * dead-letter topic (which bad records were accounted for). Reads committed records only, as a
 * downstream system would. One thread runs it; the counters may be read from any thread.
 */
final class OutputObserver implements Runnable {
  private static final String REASON_HEADER = "hindsight.dlq.reason";

  private final Map<String, Object> consumerConfig;
  private final Topics topics;
  private final LoadClock clock;
  private final Probes probes;
  private final BitSet seen = new BitSet();
  private final BitSet badSeen = new BitSet();
  private final SingleWriterRecorder progress = new SingleWriterRecorder(3_600_000_000L, 3);
  private volatile Window window = new Window(0, 0);
  private volatile boolean stopped;

  final AtomicLong compensations = new AtomicLong();

  /** Every prediction numbered below this has its compensation (no gap before it). */
  volatile long compensatedPrefix;

  final AtomicLong duplicates = new AtomicLong();
  final AtomicLong deadLetteredBad = new AtomicLong();
  final AtomicLong deadLetteredOther = new AtomicLong();
  final ConcurrentMap<String, LongAdder> deadLettersByReason = new ConcurrentHashMap<>();

  /** Normalized source utterance → epoch ms its rule first arrived on the rewrites topic. */
  final ConcurrentMap<String, Long> ruleFirstSeen = new ConcurrentHashMap<>();

  /** The record timestamp of each rule's first arrival: the log time it was decided at. */
  final ConcurrentMap<String, Long> ruleDecidedAt = new ConcurrentHashMap<>();

  OutputObserver(String bootstrapServers, Topics topics, LoadClock clock, Probes probes) {
    this.topics = topics;
    this.clock = clock;
    this.probes = probes;
    this.consumerConfig =
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrapServers,
            ConsumerConfig.ISOLATION_LEVEL_CONFIG,
            "read_committed",
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
            "earliest",
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
            false,
            ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
            5000,
            ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG,
            10);
  }

  void measure(Window next) {
    window = next;
  }

  Window window() {
    return window;
  }

  /** With {@code --trace-path}: told of every committed arrival in the measured window. */
  volatile PathTrace trace;

  @Override
  public void run() {
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(
            consumerConfig, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (String topic :
          List.of(
              topics.compensations().name(),
              topics.rewrites().name(),
              topics.deadLetters().name())) {
        consumer
            .partitionsFor(topic, Duration.ofSeconds(30))
            .forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      while (!stopped) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(50))) {
          long now = clock.nowMicros();
          String topic = record.topic();
          if (topic.equals(topics.compensations().name())) {
            compensation(record, now);
          } else if (topic.equals(topics.rewrites().name())) {
            if (record.value() != null && record.key() != null) {
              String source = new String(record.key(), StandardCharsets.UTF_8);
              if (ruleFirstSeen.putIfAbsent(source, now / 1000) == null) {
                ruleDecidedAt.put(source, record.timestamp());
              }
            }
          } else {
            deadLetter(record);
          }
        }
        compensatedPrefix = seen.nextClearBit((int) compensatedPrefix);
      }
    }
  }

  private void compensation(ConsumerRecord<byte[], byte[]> record, long now) {
    String key = new String(record.key(), StandardCharsets.UTF_8);
    if (key.startsWith("probe-")) {
      probes.answer(key, evidence(record.value()), now);
      return;
    }
    int dash = key.indexOf('-');
    int seq = Integer.parseInt(key.substring(1, dash));
    long intended = Long.parseLong(key.substring(dash + 1));
    if (seen.get(seq)) {
      duplicates.incrementAndGet();
      return;
    }
    seen.set(seq);
    compensations.incrementAndGet();
    progress.recordValue(Math.max(0, now - intended));
    Window current = window;
    current.arrived(now);
    if (current.containsIntended(intended)) {
      current.record(intended, now);
      PathTrace path = trace;
      if (path != null) {
        path.committed(seq, now);
      }
    }
  }

  private void deadLetter(ConsumerRecord<byte[], byte[]> record) {
    Header reason = record.headers().lastHeader(REASON_HEADER);
    String name = reason == null ? "?" : new String(reason.value(), StandardCharsets.UTF_8);
    deadLettersByReason.computeIfAbsent(name, r -> new LongAdder()).increment();
    String key = record.key() == null ? "" : new String(record.key(), StandardCharsets.UTF_8);
    if (key.startsWith("bad-")) {
      int n = Integer.parseInt(key.substring(4));
      if (!badSeen.get(n)) {
        badSeen.set(n);
        deadLetteredBad.incrementAndGet();
      }
    } else {
      deadLetteredOther.incrementAndGet();
    }
  }

  /** {@code evidence} of a compensation, -1 when absent (the pass-through copies predictions). */
  private static int evidence(byte[] value) {
    String json = new String(value, StandardCharsets.UTF_8);
    int at = json.indexOf("\"evidence\":");
    if (at < 0) {
      return -1;
    }
    int start = at + "\"evidence\":".length();
    int end = start;
    while (end < json.length() && Character.isDigit(json.charAt(end))) {
      end++;
    }
    return Integer.parseInt(json.substring(start, end));
  }

  /** Latencies since the previous call (for the progress line). */
  Histogram interval() {
    return progress.getIntervalHistogram();
  }

  void stop() {
    stopped = true;
  }
}
