package io.hindsight.cli;

import io.hindsight.HindsightService;
import io.hindsight.config.Topics;
import io.hindsight.evaluation.BinaryMetrics;
import io.hindsight.events.Compensation;
import io.hindsight.events.EventCodec;
import io.hindsight.events.Outcome;
import io.hindsight.simulation.DriftingWorld;
import io.micrometer.core.instrument.Timer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The compensation half of the demo: a {@link DriftingWorld} producing predictions and outcomes at
 * a fixed rate, and a consumer scoring the published compensations against the world's labels, slot
 * by slot.
 */
final class CompensationDemo implements AutoCloseable {
  private record Slot(
      int n,
      double aucBase,
      double aucComp,
      double llBase,
      double llComp,
      double evidence,
      double trust) {}

  private final String bootstrap;
  private final Topics topics;
  private final int rate;
  private final DriftingWorld world;
  private final Map<String, Double> labels = new ConcurrentHashMap<>();
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong scored = new AtomicLong();
  private final List<double[]> current = new ArrayList<>();
  private final List<Slot> slots = new ArrayList<>();
  private volatile boolean running = true;
  private Thread producerThread;
  private Thread consumerThread;
  private final long started = System.nanoTime();

  CompensationDemo(String bootstrap, Topics topics, int rate, long seed) {
    this.bootstrap = bootstrap;
    this.topics = topics;
    this.rate = rate;
    this.world = world(seed, System.currentTimeMillis() - Duration.ofDays(1).toMillis());
  }

  /**
   * The demo's world: a prediction every 10 ms of event time, popularity shifts every 2 minutes,
   * outcomes within 20 s.
   */
  static DriftingWorld world(long seed, long start) {
    return new DriftingWorld(seed, start, 10, 120_000, 20_000, "v1");
  }

  void start() {
    producerThread = new Thread(this::produce, "demo-compensation-traffic");
    consumerThread = new Thread(this::consume, "demo-compensation-scoring");
    producerThread.start();
    consumerThread.start();
  }

  private void produce() {
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                ProducerConfig.LINGER_MS_CONFIG,
                10),
            new StringSerializer(),
            new StringSerializer())) {
      long interval = TimeUnit.SECONDS.toNanos(1) / rate;
      long next = System.nanoTime();
      while (running) {
        // Never more than five seconds of traffic ahead of the compensations: on a busy machine the
        // world then moves at the speed Hindsight keeps up with, and the memory sees the same
        // stream it would see live, not an ever-growing backlog.
        while (running && sent.get() - scored.get() > 5L * rate) {
          TimeUnit.MILLISECONDS.sleep(5);
          next = System.nanoTime();
        }
        DriftingWorld.Event event = world.nextPrediction();
        labels.put(event.prediction().requestId(), event.label());
        producer.send(
            json(topics.predictions().name(), event.prediction().requestId(), event.prediction()));
        for (Outcome o = world.dueOutcome(); o != null; o = world.dueOutcome()) {
          producer.send(json(topics.outcomes().name(), o.requestId(), o));
        }
        sent.incrementAndGet();
        next += interval;
        long sleep = next - System.nanoTime();
        if (sleep > 0) {
          TimeUnit.NANOSECONDS.sleep(sleep);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static ProducerRecord<String, String> json(String topic, String key, Object event) {
    return new ProducerRecord<>(
        topic, key, new String(EventCodec.encode(event), StandardCharsets.UTF_8));
  }

  private void consume() {
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG,
                "demo-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                "read_committed"),
            new StringDeserializer(),
            new StringDeserializer())) {
      consumer.subscribe(List.of(topics.compensations().name()));
      while (running || scored.get() < sent.get()) {
        for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
          Compensation c = EventCodec.JSON.readValue(record.value(), Compensation.class);
          Double label = labels.remove(c.requestId());
          if (label != null) {
            synchronized (current) {
              current.add(
                  new double[] {label, c.score(), c.compensatedScore(), c.evidence(), c.trust()});
            }
            scored.incrementAndGet();
          }
        }
        if (!running && System.nanoTime() - stoppedAt > TimeUnit.SECONDS.toNanos(10)) {
          break;
        }
      }
    } catch (Exception e) {
      if (running) {
        throw new IllegalStateException("demo scoring failed", e);
      }
    }
  }

  private volatile long stoppedAt;

  /** Closes the current slot and describes it. */
  String liveLine(HindsightService service) {
    Slot slot = closeSlot();
    Timer latency = service.registry().find("hindsight.compensation.latency").timer();
    String latencyText =
        latency == null || latency.count() == 0
            ? "n/a"
            : String.format(
                "mean %.0f µs, max %.0f µs",
                latency.mean(TimeUnit.MICROSECONDS), latency.max(TimeUnit.MICROSECONDS));
    long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
    if (slot == null) {
      return String.format(
          "[%3ds] compensation: %,d predictions sent, %,d compensated (warming up)",
          seconds, sent.get(), scored.get());
    }
    return String.format(
        "[%3ds] compensation: %,d sent, %,d compensated | slot of %,d: AUC base %.3f -> comp %.3f,"
            + " logloss base %.4f -> comp %.4f, evidence %.1f, guard trust %.2f | latency %s",
        seconds,
        sent.get(),
        scored.get(),
        slot.n,
        slot.aucBase,
        slot.aucComp,
        slot.llBase,
        slot.llComp,
        slot.evidence,
        slot.trust,
        latencyText);
  }

  private Slot closeSlot() {
    List<double[]> rows;
    synchronized (current) {
      rows = new ArrayList<>(current);
      current.clear();
    }
    if (rows.size() < 50) {
      return null;
    }
    double[] y = new double[rows.size()];
    double[] base = new double[rows.size()];
    double[] comp = new double[rows.size()];
    double evidence = 0;
    double trust = 0;
    for (int i = 0; i < rows.size(); i++) {
      y[i] = rows.get(i)[0];
      base[i] = rows.get(i)[1];
      comp[i] = rows.get(i)[2];
      evidence += rows.get(i)[3];
      trust += rows.get(i)[4];
    }
    Slot slot =
        new Slot(
            rows.size(),
            BinaryMetrics.auc(y, base),
            BinaryMetrics.auc(y, comp),
            BinaryMetrics.logloss(y, base),
            BinaryMetrics.logloss(y, comp),
            evidence / rows.size(),
            trust / rows.size());
    slots.add(slot);
    return slot;
  }

  void stopTraffic() throws InterruptedException {
    running = false;
    stoppedAt = System.nanoTime();
    producerThread.join();
    consumerThread.join(TimeUnit.SECONDS.toMillis(15));
  }

  String finalSummary() {
    closeSlot();
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            "compensation summary: %,d predictions sent, %,d compensations scored%n",
            sent.get(), scored.get()));
    out.append(
        String.format(
            "  %4s %8s %9s %9s %12s %12s %9s %6s%n",
            "slot",
            "n",
            "AUC base",
            "AUC comp",
            "logloss base",
            "logloss comp",
            "evidence",
            "trust"));
    int better = 0;
    for (int i = 0; i < slots.size(); i++) {
      Slot s = slots.get(i);
      out.append(
          String.format(
              "  %4d %8d %9.4f %9.4f %12.4f %12.4f %9.1f %6.2f%n",
              i + 1, s.n, s.aucBase, s.aucComp, s.llBase, s.llComp, s.evidence, s.trust));
      if (i >= slots.size() / 2 && s.aucComp > s.aucBase && s.llComp < s.llBase) {
        better++;
      }
    }
    int later = slots.size() - slots.size() / 2;
    out.append(
        String.format(
            "  compensation beat the base model on AUC and logloss in %d of the %d later slots",
            better, later));
    return out.toString();
  }

  @Override
  public void close() throws InterruptedException {
    if (running) {
      stopTraffic();
    }
  }
}
