package io.hindsight.client;

import io.hindsight.DataDirectory;
import io.hindsight.compensation.CompensationSettings;
import io.hindsight.compensation.ErrorMemoryReplica;
import io.hindsight.compensation.LookupQueries;
import io.hindsight.compensation.SampleHeaders;
import io.hindsight.config.HindsightConfig;
import io.hindsight.config.TopicNames;
import io.hindsight.events.Prediction;
import io.hindsight.markov.RewriteRule;
import io.hindsight.rewrite.ChainReplica;
import io.hindsight.rewrite.RewriteLoopSettings;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An in-process read replica of Hindsight's error memories and live rewrite rules, for a JVM that
 * serves requests. It consumes the topics the service's global stores are fed by (labelled samples;
 * reformulations) with plain kafka-clients, {@code read_committed}, assigning every partition
 * itself (no consumer group, nothing committed), and applies each record in offset order to the
 * same classes the service's global stores are ({@link ErrorMemoryReplica}, {@link ChainReplica}):
 * at the same offsets it gives bit-identical scores and the same rules as the service.
 *
 * <p>Thread-safe: one applier thread ({@code hindsight-client-applier}) consumes and applies; any
 * number of threads call {@link #compensate}, {@link #rewrite}, {@link #lag} and {@link #isReady}
 * concurrently. A read waits only while a record is being applied (the replicas' own locks), and a
 * batch is answered against one snapshot: no record is applied between its candidates.
 *
 * <p>Not a cache with an expiry: it replicates from the beginning of the topics at every start
 * (into {@link Builder#directory}, wiped first), and is ready once it has applied everything that
 * was committed when it started. Closing it stops the applier and deletes what it created.
 */
public final class HindsightClient implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HindsightClient.class);
  private static final Duration POLL = Duration.ofMillis(100);

  private final HindsightConfig config;
  private final ErrorMemoryReplica memory;
  private final ChainReplica chain;
  private final LookupQueries queries;
  private final LongSupplier clock;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final String samplesTopic;
  private final List<TopicPartition> partitions;
  private final Map<TopicPartition, Long> endAtStart;
  private final Path directory;
  private final boolean ownsDirectory;
  private final CountDownLatch ready = new CountDownLatch(1);
  private final Thread applier;
  private volatile boolean running = true;
  private volatile long lag;
  private volatile Map<TopicPartition, Long> positions;
  private volatile Throwable failure;
  private volatile long rejected;

  /** Records applied; written by the applier thread only. */
  private volatile long applied;

  private final ClientMetrics metrics;

  private HindsightClient(Builder builder) {
    this.config = HindsightConfig.load(null, Map.of(), builder.values);
    CompensationSettings settings = CompensationSettings.from(config);
    this.clock = builder.clock;
    this.queries = new LookupQueries(settings);
    this.samplesTopic = config.topicPrefix() + TopicNames.LABELLED_SAMPLES;
    String reformulationsTopic = config.topicPrefix() + TopicNames.REFORMULATIONS;
    this.ownsDirectory = builder.directory == null;
    this.directory = ownsDirectory ? temporaryDirectory() : builder.directory;
    DataDirectory.delete(directory.resolve(ErrorMemoryReplica.NAME));
    this.memory = new ErrorMemoryReplica(settings);
    memory.open(directory.resolve(ErrorMemoryReplica.NAME));
    this.chain = new ChainReplica(RewriteLoopSettings.from(config));
    chain.open();
    this.consumer = new KafkaConsumer<>(consumerSettings(config), deserializer(), deserializer());
    try {
      List<TopicPartition> assigned = new ArrayList<>();
      assigned.addAll(partitionsOf(samplesTopic, builder.startTimeout));
      if (builder.rewrites) {
        assigned.addAll(partitionsOf(reformulationsTopic, builder.startTimeout));
      }
      this.partitions = List.copyOf(assigned);
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      this.endAtStart = Map.copyOf(consumer.endOffsets(partitions, builder.startTimeout));
    } catch (RuntimeException e) {
      closeResources();
      throw e;
    }
    this.positions = Map.of();
    this.lag = endAtStart.values().stream().mapToLong(Long::longValue).sum();
    this.metrics =
        builder.registry == null ? ClientMetrics.NONE : new ClientMetrics(builder.registry, this);
    this.applier = new Thread(this::replicate, "hindsight-client-applier");
    applier.setDaemon(true);
    applier.start();
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Compensates one candidate of a model version, as {@code POST /compensate} would on a service
   * whose replica stands at this client's offsets.
   */
  public Compensated compensate(String modelId, String modelVersion, Candidate candidate) {
    return compensate(modelId, modelVersion, List.of(candidate)).get(0);
  }

  /** Compensates candidates of one model version against one snapshot of the replica, in order. */
  public List<Compensated> compensate(
      String modelId, String modelVersion, List<Candidate> candidates) {
    long start = metrics.start();
    long now = clock.getAsLong();
    List<Prediction> predictions = new ArrayList<>(candidates.size());
    for (Candidate c : candidates) {
      predictions.add(
          new Prediction(
              "lookup",
              modelId,
              modelVersion,
              c.timestamp() == Candidate.NOW ? now : c.timestamp(),
              c.score(),
              c.embedding(),
              c.features(),
              c.userId(),
              c.itemId()));
    }
    List<Optional<ErrorMemoryReplica.Scored>> scored =
        memory.peek(modelId, modelVersion, queries.of(predictions));
    List<Compensated> answers = new ArrayList<>(candidates.size());
    for (int i = 0; i < candidates.size(); i++) {
      double score = candidates.get(i).score();
      answers.add(
          scored
              .get(i)
              .map(
                  s ->
                      new Compensated(
                          score, s.scores().finalScore(), s.evidence(), s.scores().trust()))
              .orElse(new Compensated(score, score, 0, 1.0)));
    }
    metrics.compensated(candidates.size(), start);
    return answers;
  }

  /** The live rule for an utterance (by its normalized form), as {@code GET /rewrite} answers. */
  public Optional<RewriteRule> rewrite(String utterance) {
    long start = metrics.start();
    Optional<RewriteRule> rule = chain.rule(utterance);
    metrics.rewritten(1, start);
    return rule;
  }

  /** The live rules for utterances, in order, against one state of the rule book. */
  public List<Optional<RewriteRule>> rewrite(List<String> utterances) {
    long start = metrics.start();
    List<Optional<RewriteRule>> rules = new ArrayList<>(utterances.size());
    // The chain replica's methods synchronize on it: holding its monitor keeps the applier out.
    synchronized (chain) {
      for (String utterance : utterances) {
        rules.add(chain.rule(utterance));
      }
    }
    metrics.rewritten(utterances.size(), start);
    return rules;
  }

  /**
   * Committed records not yet applied, over every replicated partition: the consumer's view of the
   * end offsets as of its last fetch (at start, the end offsets themselves).
   */
  public long lag() {
    return lag;
  }

  /** Whether every record committed before {@link Builder#start} has been applied. */
  public boolean isReady() {
    return ready.getCount() == 0;
  }

  /** Waits until {@link #isReady}; false when {@code timeout} passed first. */
  public boolean awaitReady(Duration timeout) throws InterruptedException {
    return ready.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  /**
   * The next offset to apply per replicated partition, as of the applier's last poll: two replicas
   * at the same positions hold the same state.
   */
  public Map<TopicPartition, Long> positions() {
    return positions;
  }

  /** The end offsets (read_committed) seen at start, which {@link #isReady} waits for. */
  public Map<TopicPartition, Long> endOffsetsAtStart() {
    return endAtStart;
  }

  /** Records skipped because they could not be applied (the service dead-letters them). */
  public long rejected() {
    return rejected;
  }

  /** Why replication stopped, if it did (the consumer failed). */
  public Optional<Throwable> failure() {
    return Optional.ofNullable(failure);
  }

  /** Records applied to the replicas since start (rejected ones not counted). */
  public long applied() {
    return applied;
  }

  /** Labelled samples held by the replicated error memories. */
  public long samples() {
    return memory.samples();
  }

  /** The configuration the client was started with (the service's keys and defaults). */
  public HindsightConfig config() {
    return config;
  }

  private void replicate() {
    try {
      while (running) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(POLL)) {
          apply(r);
        }
        progress();
      }
    } catch (WakeupException e) {
      // close() stops the applier
    } catch (RuntimeException e) {
      failure = e;
      log.error("Replication stopped", e);
    }
  }

  /**
   * Applies one record as the service's global stores do; one they cannot apply the service sends
   * to its dead-letter topic and skips, and so does this client (counting it).
   */
  private void apply(ConsumerRecord<byte[], byte[]> r) {
    try {
      if (r.topic().equals(samplesTopic)) {
        memory.applyRecord(
            r.partition(),
            r.offset(),
            r.key(),
            r.value(),
            r.timestamp(),
            r.headers().lastHeader(SampleHeaders.FEATURES_PENDING) != null);
      } else {
        chain.apply(r.offset(), r.value());
      }
      applied++; // the applier thread is the only writer
    } catch (RuntimeException e) {
      rejected++;
      log.warn("Skipped {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), e.toString());
    }
  }

  /** Positions, lag and readiness after a poll; the applier's thread only (the consumer's). */
  private void progress() {
    Map<TopicPartition, Long> now = new HashMap<>();
    long behind = 0;
    boolean caughtUp = true;
    for (TopicPartition tp : partitions) {
      long position = consumer.position(tp);
      now.put(tp, position);
      OptionalLong currentLag = consumer.currentLag(tp);
      behind +=
          currentLag.isPresent()
              ? currentLag.getAsLong()
              : Math.max(0, endAtStart.get(tp) - position);
      caughtUp &= position >= endAtStart.get(tp);
    }
    positions = Map.copyOf(now);
    lag = behind;
    if (caughtUp) {
      ready.countDown();
    }
  }

  private List<TopicPartition> partitionsOf(String topic, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
      if (infos != null && !infos.isEmpty()) {
        return infos.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "Topic " + topic + " does not exist: is the service's topic.prefix the same?");
      }
      try {
        Thread.sleep(200); // the service creates its topics at start; this process may be first
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("Interrupted waiting for " + topic, e);
      }
    }
  }

  private static Map<String, Object> consumerSettings(HindsightConfig config) {
    Map<String, Object> settings = new HashMap<>(config.kafkaOverrides());
    settings.put(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
        config.getString(HindsightConfig.BOOTSTRAP_SERVERS));
    settings.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    settings.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    settings.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    settings.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "hindsight-client");
    settings.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000);
    settings.remove(ConsumerConfig.GROUP_ID_CONFIG);
    return settings;
  }

  private static ByteArrayDeserializer deserializer() {
    return new ByteArrayDeserializer();
  }

  private static Path temporaryDirectory() {
    try {
      return Files.createTempDirectory("hindsight-client");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Stops the applier and deletes what the client created; idempotent. */
  @Override
  public synchronized void close() {
    if (!running) {
      return;
    }
    running = false;
    metrics.remove();
    consumer.wakeup();
    try {
      applier.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    closeResources();
  }

  private void closeResources() {
    consumer.close();
    memory.close();
    chain.close();
    DataDirectory.delete(ownsDirectory ? directory : directory.resolve(ErrorMemoryReplica.NAME));
  }

  /** What to replicate, from where; {@link #start} connects and starts the applier. */
  public static final class Builder {
    private final Map<String, String> values = new HashMap<>();
    private Path directory;
    private boolean rewrites = true;
    private Duration startTimeout = Duration.ofSeconds(60);
    private LongSupplier clock = System::currentTimeMillis;
    private MeterRegistry registry;

    private Builder() {}

    /**
     * Where to report the client's metrics ({@code hindsight.client.*}: lag, records applied and
     * rejected, samples, readiness, reads and their latency); none without one. They are removed
     * from the registry when the client closes.
     */
    public Builder meterRegistry(MeterRegistry meters) {
      this.registry = meters;
      return this;
    }

    public Builder bootstrapServers(String servers) {
      values.put(HindsightConfig.BOOTSTRAP_SERVERS, servers);
      return this;
    }

    /**
     * The service's configuration keys ({@link HindsightConfig}: {@code topic.prefix}, {@code
     * compensation.*}, {@code rewrite.*}, {@code kafka.*} passed to the consumer): give the same
     * values as the service, or the replica does not hold what the service's does. A bad value
     * fails {@link #start} naming the key.
     */
    public Builder config(Map<String, String> settings) {
      values.putAll(settings);
      return this;
    }

    public Builder set(String key, String value) {
      values.put(key, value);
      return this;
    }

    /** Where the off-heap memories live (wiped at start); a temporary directory by default. */
    public Builder directory(Path dir) {
      this.directory = dir;
      return this;
    }

    /** Whether to replicate the reformulations log for {@link #rewrite} (default true). */
    public Builder rewrites(boolean replicate) {
      this.rewrites = replicate;
      return this;
    }

    /** How long {@link #start} waits for the topics to exist and their end offsets (60 s). */
    public Builder startTimeout(Duration timeout) {
      this.startTimeout = timeout;
      return this;
    }

    /** The clock of candidates at {@link Candidate#NOW} (epoch milliseconds). */
    public Builder clock(LongSupplier millis) {
      this.clock = millis;
      return this;
    }

    /** Connects, assigns the partitions and starts replicating from the beginning. */
    public HindsightClient start() {
      return new HindsightClient(this);
    }
  }
}
