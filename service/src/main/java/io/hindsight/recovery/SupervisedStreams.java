package io.hindsight.recovery;

import io.hindsight.DataDirectory;
import io.hindsight.StreamsApp;
import io.hindsight.errors.ThreadFailurePolicy;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.InvalidOffsetException;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyDescription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One app's Kafka Streams client, kept running without a person. A client that fails (it reaches
 * ERROR, e.g. because its global thread died, or its start throws) is closed and replaced by a
 * fresh one after a {@link RestartBackoff} wait. When the failure was a global store reading
 * offsets the cluster no longer has, that store's local state is discarded first (logged with what
 * was lost, counted in {@link StateRebuilds}), so the fresh client rebuilds it from what the topic
 * holds. When the restarts are spent, {@link #failure()} completes: the process is expected to exit
 * non-zero for its supervisor to start it afresh. Thread-safe.
 */
public final class SupervisedStreams implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SupervisedStreams.class);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

  private final StreamsApp app;
  private final Properties properties;
  private final Path globalStateDirectory;
  private final MeterRegistry registry;
  private final RestartBackoff backoff;
  private final ThreadFailurePolicy policy = new ThreadFailurePolicy();
  private final ScheduledExecutorService restarts;
  private final CompletableFuture<Throwable> failure = new CompletableFuture<>();
  private final Object lock = new Object();

  private volatile KafkaStreams current;
  private volatile Throwable lastThreadFailure;
  private Topology topology;
  private KafkaStreamsMetrics metrics;
  private boolean restartPending;
  private boolean closed;
  private int starts;

  /**
   * @param properties the client's Streams settings (state directory and application id included)
   */
  public SupervisedStreams(
      StreamsApp app, Properties properties, MeterRegistry registry, RestartBackoff backoff) {
    this.app = app;
    this.properties = properties;
    this.globalStateDirectory =
        Path.of(
            properties.getProperty(StreamsConfig.STATE_DIR_CONFIG),
            properties.getProperty(StreamsConfig.APPLICATION_ID_CONFIG),
            "global");
    this.registry = registry;
    this.backoff = backoff;
    this.restarts =
        Executors.newSingleThreadScheduledExecutor(
            runnable -> {
              Thread thread = new Thread(runnable, "hindsight-" + app.name() + "-restarts");
              thread.setDaemon(true);
              return thread;
            });
  }

  /**
   * Creates and starts the first client. A configuration Kafka Streams refuses throws here; a start
   * that fails is handled like any later failure.
   *
   * @param cleanUpFirst delete the client's local state before it starts (KafkaStreams.cleanUp())
   */
  public void start(boolean cleanUpFirst) {
    KafkaStreams instance;
    synchronized (lock) {
      instance = create();
      if (cleanUpFirst) {
        instance.cleanUp();
      }
    }
    start(instance);
  }

  /** The client now running or starting; null between a failure and its restart. */
  public KafkaStreams current() {
    return current;
  }

  public boolean isRunning() {
    KafkaStreams instance = current;
    return instance != null && instance.state() == KafkaStreams.State.RUNNING;
  }

  /** Completes with the last failure once the restarts are spent. */
  public CompletableFuture<Throwable> failure() {
    return failure;
  }

  /** Clients started so far, the first included. */
  public int starts() {
    synchronized (lock) {
      return starts;
    }
  }

  /** A new client, made current; called with the lock held. */
  private KafkaStreams create() {
    app.beforeStart(
        properties.getProperty(StreamsConfig.STATE_DIR_CONFIG),
        properties.getProperty(StreamsConfig.APPLICATION_ID_CONFIG));
    topology = app.topology();
    KafkaStreams instance = new KafkaStreams(topology, properties);
    app.running(instance);
    instance.setUncaughtExceptionHandler(
        exception -> {
          lastThreadFailure = exception;
          return policy.handle(exception);
        });
    instance.setStateListener((now, before) -> onStateChange(instance, now, before));
    lastThreadFailure = null;
    metrics = new KafkaStreamsMetrics(instance);
    metrics.bindTo(registry);
    current = instance;
    starts++;
    return instance;
  }

  /** Outside the lock: Kafka Streams calls the state listener from its own threads meanwhile. */
  private void start(KafkaStreams instance) {
    try {
      instance.start();
    } catch (RuntimeException e) {
      log.error("{}: Kafka Streams failed to start", app.name(), e);
      failed(instance, e);
    }
  }

  private void onStateChange(
      KafkaStreams instance, KafkaStreams.State now, KafkaStreams.State before) {
    log.info("{}: {} -> {}", app.name(), before, now);
    if (now == KafkaStreams.State.RUNNING) {
      synchronized (lock) {
        backoff.running(System.currentTimeMillis());
      }
    } else if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.NOT_RUNNING) {
      Throwable cause = lastThreadFailure;
      failed(
          instance,
          cause != null ? cause : new IllegalStateException("Kafka Streams went to " + now));
    }
  }

  /**
   * Schedules the replacement of the failed client {@code instance} (null: none could be created),
   * once per failure, on the restart thread: never on one of Kafka Streams' own.
   */
  private void failed(KafkaStreams instance, Throwable cause) {
    synchronized (lock) {
      if (closed || restartPending || instance != current) {
        return; // closing, already handled, or a late event from a replaced client
      }
      restartPending = true;
      current = null;
      OptionalLong wait = backoff.failed(System.currentTimeMillis());
      restarts.execute(() -> replace(instance, cause, wait));
    }
  }

  private void replace(KafkaStreams failed, Throwable cause, OptionalLong wait) {
    if (failed != null) {
      failed.close(CLOSE_TIMEOUT);
    }
    synchronized (lock) {
      if (metrics != null) {
        metrics.close();
        metrics = null;
      }
      if (closed) {
        return;
      }
      discardLostGlobalState(cause);
      if (wait.isEmpty()) {
        log.error(
            "{}: Kafka Streams failed, failure {} in a row: no restart left; giving up",
            app.name(),
            backoff.failuresInARow(),
            cause);
        failure.complete(cause);
        return;
      }
      log.warn(
          "{}: Kafka Streams failed ({}); starting a fresh client in {} ms (failure {} in a row)",
          app.name(),
          cause.toString(),
          wait.getAsLong(),
          backoff.failuresInARow());
      restarts.schedule(this::restart, wait.getAsLong(), TimeUnit.MILLISECONDS);
    }
  }

  private void restart() {
    KafkaStreams instance;
    synchronized (lock) {
      if (closed) {
        return;
      }
      restartPending = false;
      try {
        instance = create();
      } catch (RuntimeException e) {
        log.error("{}: cannot create a Kafka Streams client", app.name(), e);
        failed(null, e);
        return;
      }
    }
    start(instance);
  }

  /**
   * A global store that read to offsets the cluster no longer has fails its thread on every start
   * until its local state is gone; Kafka Streams tries to delete it, and this makes sure of it.
   */
  private void discardLostGlobalState(Throwable cause) {
    Optional<InvalidOffsetException> lost = findInvalidOffset(cause);
    if (lost.isEmpty()) {
      return;
    }
    Map<String, List<String>> storesByTopic = globalStoresByTopic(topology);
    List<TopicPartition> globalPartitions = new ArrayList<>();
    for (TopicPartition partition : lost.get().partitions()) {
      if (storesByTopic.containsKey(partition.topic())) {
        globalPartitions.add(partition);
      }
    }
    if (globalPartitions.isEmpty()) {
      return; // a task's store: Kafka Streams wipes and restores those itself
    }
    Map<TopicPartition, String> held = heldOffsets(globalPartitions);
    for (TopicPartition partition : globalPartitions) {
      Long offset =
          lost.get() instanceof OffsetOutOfRangeException outOfRange
              ? outOfRange.offsetOutOfRangePartitions().get(partition)
              : null;
      for (String store : storesByTopic.get(partition.topic())) {
        log.warn(
            "{}: global store {} was to read {} from offset {}, which the cluster no longer has"
                + " (it holds {}); everything the store learned from the records before it is"
                + " discarded and the store is rebuilt from what the topic holds",
            app.name(),
            store,
            partition,
            offset == null ? "unknown" : offset,
            held.getOrDefault(partition, "offsets unknown"));
        StateRebuilds.count(registry, store, StateRebuilds.LOST_OFFSETS);
      }
    }
    DataDirectory.delete(globalStateDirectory);
  }

  private static Optional<InvalidOffsetException> findInvalidOffset(Throwable cause) {
    for (Throwable t = cause; t != null; t = t.getCause()) {
      if (t instanceof InvalidOffsetException invalid) {
        return Optional.of(invalid);
      }
    }
    return Optional.empty();
  }

  private static Map<String, List<String>> globalStoresByTopic(Topology topology) {
    Map<String, List<String>> stores = new java.util.HashMap<>();
    for (TopologyDescription.GlobalStore global : topology.describe().globalStores()) {
      for (String topic : global.source().topicSet()) {
        stores.computeIfAbsent(topic, t -> new ArrayList<>()).addAll(global.processor().stores());
      }
    }
    return stores;
  }

  /** For the log: the offsets each partition holds now, "from X to Y"; empty if unknown. */
  private Map<TopicPartition, String> heldOffsets(List<TopicPartition> partitions) {
    Map<String, Object> adminConfig =
        new StreamsConfig(properties).getAdminConfigs(app.name() + "-recovery");
    try (Admin admin = Admin.create(adminConfig)) {
      Map<TopicPartition, OffsetSpec> earliest = new java.util.HashMap<>();
      Map<TopicPartition, OffsetSpec> latest = new java.util.HashMap<>();
      partitions.forEach(
          p -> {
            earliest.put(p, OffsetSpec.earliest());
            latest.put(p, OffsetSpec.latest());
          });
      var starts = admin.listOffsets(earliest).all().get(10, TimeUnit.SECONDS);
      var ends = admin.listOffsets(latest).all().get(10, TimeUnit.SECONDS);
      Map<TopicPartition, String> held = new java.util.HashMap<>();
      for (TopicPartition p : partitions) {
        long start = starts.get(p).offset();
        long end = ends.get(p).offset();
        held.put(p, start == end ? "no records" : "offsets " + start + " to " + (end - 1));
      }
      return held;
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      log.debug("Cannot list the offsets of {}", partitions, e);
      return Map.of();
    }
  }

  /** Stops restarting and closes the client; idempotent. */
  @Override
  public void close() {
    KafkaStreams instance;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      instance = current;
      current = null;
    }
    restarts.shutdownNow();
    try {
      restarts.awaitTermination(CLOSE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (instance != null) {
      // A clean stop leaves the group: otherwise the next start of this instance waits out the
      // session timeout (45 s) for its old member before it gets its partitions back.
      instance.close(
          org.apache.kafka.streams.CloseOptions.groupMembershipOperation(
                  org.apache.kafka.streams.CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
              .withTimeout(CLOSE_TIMEOUT));
    }
    synchronized (lock) {
      if (metrics != null) {
        metrics.close();
      }
    }
  }
}
