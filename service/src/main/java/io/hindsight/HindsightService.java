package io.hindsight;

import io.hindsight.broker.EmbeddedKafka;
import io.hindsight.broker.TopicProvisioner;
import io.hindsight.config.HindsightConfig;
import io.hindsight.config.Topics;
import io.hindsight.errors.DeadLetterHandler;
import io.hindsight.http.OperationsServer;
import io.hindsight.recovery.ClusterStamp;
import io.hindsight.recovery.HangingTransactions;
import io.hindsight.recovery.RestartBackoff;
import io.hindsight.recovery.SupervisedStreams;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Hindsight: the broker (embedded when no bootstrap servers are configured), its topics,
 * one Kafka Streams instance per app, and the operations endpoint. A failed Kafka Streams instance
 * is replaced by a fresh one ({@link SupervisedStreams}); once its restarts are spent, {@link
 * #failure()} completes and the caller should exit non-zero. {@link #close()} stops everything in
 * reverse order and is idempotent.
 */
public final class HindsightService implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HindsightService.class);

  private final HindsightConfig config;
  private final Topics topics;
  private final EmbeddedKafka broker;
  private final String bootstrapServers;
  private final PrometheusMeterRegistry registry;
  private final List<StreamsApp> apps;
  private final List<SupervisedStreams> streams = new ArrayList<>();
  private final CompletableFuture<Throwable> failure = new CompletableFuture<>();
  private OperationsServer operations;
  private ScheduledExecutorService transactionChecks;
  private Admin transactionAdmin;
  private boolean closed;

  private HindsightService(
      HindsightConfig config,
      EmbeddedKafka broker,
      String bootstrapServers,
      java.util.function.BiFunction<
              HindsightConfig, io.micrometer.core.instrument.MeterRegistry, List<StreamsApp>>
          appFactory) {
    this.config = config;
    this.topics = Topics.from(config);
    this.broker = broker;
    this.bootstrapServers = bootstrapServers;
    this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    // Heap, non-heap and buffer pools (direct, mapped): what sizing a deployment needs to know.
    new JvmMemoryMetrics().bindTo(registry);
    this.apps = appFactory.apply(config, registry);
  }

  /**
   * Starts everything. {@code appFactory} builds the apps once the broker address is known.
   *
   * @param announce receives lines a user or a script needs (the broker and HTTP addresses)
   */
  public static HindsightService start(
      HindsightConfig config,
      java.util.function.BiFunction<
              HindsightConfig, io.micrometer.core.instrument.MeterRegistry, List<StreamsApp>>
          appFactory,
      java.util.function.Consumer<String> announce) {
    EmbeddedKafka broker = null;
    String bootstrap = config.getString(HindsightConfig.BOOTSTRAP_SERVERS);
    if (config.embeddedBroker()) {
      broker =
          EmbeddedKafka.start(
              Path.of(config.getString(HindsightConfig.DATA_DIR), "kafka"),
              config.getInt(HindsightConfig.BROKER_PORT));
      bootstrap = broker.bootstrapServers();
      announce.accept("broker: " + bootstrap);
    }
    HindsightConfig resolved = config.with(Map.of(HindsightConfig.BOOTSTRAP_SERVERS, bootstrap));
    HindsightService service = new HindsightService(resolved, broker, bootstrap, appFactory);
    try {
      service.startAll(announce);
    } catch (RuntimeException e) {
      service.close();
      throw e;
    }
    return service;
  }

  private void startAll(java.util.function.Consumer<String> announce) {
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
      int inputPartitions = new TopicProvisioner(config, topics).provision(admin);
      apps.forEach(app -> app.provisioned(inputPartitions));
      // Before any Kafka Streams client opens the state directory: state read from another
      // cluster must be gone before it is read as this one's.
      ClusterStamp.claim(config.stateDirectory(), clusterId(admin), registry);
    }
    operations =
        OperationsServer.start(
            OperationsServer.Settings.from(config), registry, this::isLive, this::isReady);
    announce.accept("http: " + operations.address());
    for (StreamsApp app : apps) {
      app.bind(registry, operations);
      SupervisedStreams supervised =
          new SupervisedStreams(
              app,
              streamsProperties(app),
              registry,
              new RestartBackoff(
                  config.getInt(HindsightConfig.STREAMS_RESTART_MAX_ATTEMPTS),
                  config.getLong(HindsightConfig.STREAMS_RESTART_BACKOFF_MS),
                  config.getLong(HindsightConfig.STREAMS_RESTART_BACKOFF_MAX_MS)));
      supervised.failure().thenAccept(failure::complete);
      streams.add(supervised);
      supervised.start(config.getBoolean(HindsightConfig.STATE_CLEANUP_ON_START));
    }
    long checkMs = config.getLong(HindsightConfig.RECOVERY_HANGING_TRANSACTION_CHECK_MS);
    if (checkMs > 0
        && config
            .getString(HindsightConfig.PROCESSING_GUARANTEE)
            .equals(HindsightConfig.EXACTLY_ONCE_V2)) {
      checkHangingTransactions(checkMs);
    }
  }

  /**
   * Looks for transactions the cluster will never finish on this deployment's topics and groups.
   */
  private void checkHangingTransactions(long intervalMs) {
    List<String> applicationIds =
        apps.stream()
            .map(
                app ->
                    (String) streamsSettings(config, app).get(StreamsConfig.APPLICATION_ID_CONFIG))
            .toList();
    java.util.Set<String> declared =
        topics.all().stream()
            .map(topic -> topic.name())
            .collect(java.util.stream.Collectors.toSet());
    Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));
    HangingTransactions hanging =
        new HangingTransactions(
            admin,
            // Hindsight's topics, and its apps' internal ones (changelogs), named after the app.
            name ->
                declared.contains(name)
                    || applicationIds.stream().anyMatch(id -> name.startsWith(id + "-")),
            applicationIds,
            registry);
    transactionChecks =
        Executors.newSingleThreadScheduledExecutor(
            runnable -> {
              Thread thread = new Thread(runnable, "hindsight-hanging-transactions");
              thread.setDaemon(true);
              return thread;
            });
    transactionChecks.scheduleWithFixedDelay(
        () -> {
          try {
            hanging.check();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } catch (RuntimeException e) {
            log.warn("The check for hanging transactions failed; it runs again", e);
          }
        },
        intervalMs,
        intervalMs,
        TimeUnit.MILLISECONDS);
    transactionAdmin = admin;
  }

  private static String clusterId(Admin admin) {
    try {
      return Objects.requireNonNull(
          admin.describeCluster().clusterId().get(60, TimeUnit.SECONDS), "cluster id");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while asking the cluster for its id", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("Cannot ask the Kafka cluster for its id", e);
    }
  }

  /** The Streams settings for one app: Hindsight's defaults, then {@code kafka.*} overrides. */
  public Properties streamsProperties(StreamsApp app) {
    Properties props = new Properties();
    props.putAll(streamsSettings(config, app));
    props.put(DeadLetterHandler.REGISTRY_CONFIG, registry);
    return props;
  }

  /** Shared by the service, evaluate and tests that run a topology in TopologyTestDriver. */
  public static Map<String, Object> streamsSettings(HindsightConfig config, StreamsApp app) {
    Map<String, Object> props = new java.util.HashMap<>();
    props.put(
        StreamsConfig.APPLICATION_ID_CONFIG,
        config.getString(HindsightConfig.APPLICATION_ID) + "-" + app.name());
    props.put(
        StreamsConfig.BOOTSTRAP_SERVERS_CONFIG,
        config.getString(HindsightConfig.BOOTSTRAP_SERVERS));
    props.put(
        StreamsConfig.PROCESSING_GUARANTEE_CONFIG,
        config.getString(HindsightConfig.PROCESSING_GUARANTEE));
    props.put(
        StreamsConfig.NUM_STREAM_THREADS_CONFIG, config.getInt(HindsightConfig.NUM_STREAM_THREADS));
    if (StreamsConfig.EXACTLY_ONCE_V2.equals(
        config.getString(HindsightConfig.PROCESSING_GUARANTEE))) {
      // Typed, so the trade (a commit blocks the stream thread; results wait for it) is visible.
      props.put(
          StreamsConfig.COMMIT_INTERVAL_MS_CONFIG,
          config.getLong(HindsightConfig.EXACTLY_ONCE_COMMIT_INTERVAL_MS));
    } else {
      // Results are visible once sent, and a compensation waited half of Streams' 100 ms linger
      // on average (p50 80 -> 23 ms at 2,200 predictions/s; 5 ms is the producer's own default
      // since Kafka 4.0). Under exactly_once_v2 they wait for the commit, which sends what is left.
      putProducerDefault(props, config, ProducerConfig.LINGER_MS_CONFIG, 5);
    }
    // Fetch batches, not the few records that arrived since the last fetch: each request costs
    // the broker and the consumer about as much as the records it carries.
    putMainConsumerDefault(
        props,
        config,
        ConsumerConfig.FETCH_MIN_BYTES_CONFIG,
        config.getInt(HindsightConfig.INPUT_FETCH_MIN_BYTES));
    putMainConsumerDefault(
        props,
        config,
        ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG,
        config.getInt(HindsightConfig.INPUT_FETCH_MAX_WAIT_MS));
    props.put(StreamsConfig.STATE_DIR_CONFIG, config.stateDirectory().toString());
    // No task idling: a topology that joins inputs keeps time per input itself (the attribution
    // buffer), and Streams 4.4's idling check formats a log string for every empty partition each
    // time it runs, whatever the log level (10 % of the compensation thread's CPU).
    props.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, StreamsConfig.MAX_TASK_IDLE_MS_DISABLED);
    props.put(
        StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandler.class);
    props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandler.class);
    props.put("processing.exception.handler.global.enabled", true);
    props.put(DeadLetterHandler.TOPIC_CONFIG, Topics.from(config).deadLetters().name());
    props.put(
        StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG),
        config.getInt(HindsightConfig.TOPIC_MAX_MESSAGE_BYTES));
    // Batches of 256 KB: with 16 KB a batch fills every few dozen records and each new batch wakes
    // the sender thread (a system call on the stream thread).
    props.put(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG), 256 * 1024);
    props.put(
        StreamsConfig.topicPrefix("max.message.bytes"),
        Integer.toString(config.getInt(HindsightConfig.TOPIC_MAX_MESSAGE_BYTES)));
    props.put(
        StreamsConfig.REPLICATION_FACTOR_CONFIG,
        config.getInt(HindsightConfig.TOPIC_REPLICATION_FACTOR));
    props.putAll(app.streamsSettings());
    props.putAll(config.kafkaOverrides());
    return props;
  }

  /**
   * Sets the main consumer's {@code key} unless a {@code kafka.} override names it in any form
   * Streams reads for that consumer ({@code main.consumer.}, {@code consumer.} or no prefix).
   */
  private static void putMainConsumerDefault(
      Map<String, Object> props, HindsightConfig config, String key, Object value) {
    putUnlessOverridden(
        props,
        config,
        StreamsConfig.mainConsumerPrefix(key),
        value,
        key,
        StreamsConfig.consumerPrefix(key));
  }

  /** Sets the producers' {@code key} unless a {@code kafka.} override names it in either form. */
  private static void putProducerDefault(
      Map<String, Object> props, HindsightConfig config, String key, Object value) {
    putUnlessOverridden(props, config, StreamsConfig.producerPrefix(key), value, key);
  }

  /**
   * Sets the prefixed key {@code target} unless a {@code kafka.} override names it or one of its
   * {@code otherForms}: Streams would let the more prefixed key win over the user's.
   */
  private static void putUnlessOverridden(
      Map<String, Object> props,
      HindsightConfig config,
      String target,
      Object value,
      String... otherForms) {
    Map<String, Object> overrides = config.kafkaOverrides();
    if (overrides.containsKey(target)
        || java.util.Arrays.stream(otherForms).anyMatch(overrides::containsKey)) {
      return;
    }
    props.put(target, value);
  }

  /** False once a topology has failed beyond its restarts (or the service is closed). */
  public boolean isLive() {
    return !closed && !failure.isDone();
  }

  public boolean isReady() {
    return !closed && !streams.isEmpty() && streams.stream().allMatch(SupervisedStreams::isRunning);
  }

  /**
   * Completes with the cause when a topology has failed and its restarts are spent: the process
   * should then exit non-zero, for its supervisor to start it afresh.
   */
  public CompletableFuture<Throwable> failure() {
    return failure;
  }

  public HindsightConfig config() {
    return config;
  }

  public Topics topics() {
    return topics;
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  public List<StreamsApp> apps() {
    return apps;
  }

  /** The Kafka Streams client of each app right now (a failed one is replaced by a new one). */
  public List<KafkaStreams> streams() {
    return streams.stream().map(SupervisedStreams::current).filter(Objects::nonNull).toList();
  }

  /** Each app's supervised client, in the order of {@link #apps()}. */
  public List<SupervisedStreams> supervisedStreams() {
    return streams;
  }

  public int httpPort() {
    return operations.port();
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (operations != null) {
      operations.close();
    }
    if (transactionChecks != null) {
      transactionChecks.shutdownNow();
      transactionAdmin.close(java.time.Duration.ofSeconds(5));
    }
    streams.forEach(SupervisedStreams::close);
    for (StreamsApp app : apps) {
      app.close();
    }
    registry.close();
    if (broker != null) {
      broker.close();
    }
  }
}
