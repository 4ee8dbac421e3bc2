package io.hindsight.cli;

import io.hindsight.config.Topics;
import io.hindsight.evaluation.BinaryMetrics;
import io.hindsight.events.Compensation;
import io.hindsight.events.EventCodec;
import io.hindsight.events.Outcome;
import io.hindsight.simulation.TasteShiftWorld;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The compensation half of the demo: a {@link TasteShiftWorld} producing predictions and outcomes
 * at a fixed rate on the {@link DemoTimeline}, and a consumer scoring the published compensations
 * against the world's labels, slot by slot (a prediction's slot is its event time's).
 */
final class CompensationDemo implements AutoCloseable {
  /** Outcomes arrive within two minutes of event time, well inside the attribution window. */
  static final long MAX_OUTCOME_DELAY_MS = 120_000;

  static final long MAX_WARMUP_MILLIS = 15_000;
  private static final long MAX_BACKLOG_SECONDS = 20;
  private static final long FIRST_COMPENSATIONS = 100;

  /** Figures of one slot. */
  record Slot(int n, double aucBase, double aucComp, double llBase, double llComp, double trust) {
    boolean compensationWins() {
      return aucComp > aucBase && llComp < llBase;
    }
  }

  private record Sent(double label, boolean shifted, int slot) {}

  private final String bootstrap;
  private final Topics topics;
  private final int rate;
  private final DemoTimeline timeline;
  private final TasteShiftWorld world;
  private final Map<String, Sent> awaiting = new ConcurrentHashMap<>();
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong scored = new AtomicLong();
  private final AtomicLongArray sentPerSlot;
  private final List<List<double[]>> slotRows = new ArrayList<>();
  // Per slot, over the shifted pairs: count, and the sums of label, base and compensated score.
  private final double[][] shiftedSums;
  private volatile boolean running = true;
  private volatile long stoppedAt;
  private long lastScored;
  private long lastProgress;
  private volatile long startedAt;
  // When the demo's clock started (0:00): once the first compensations came back; 0 before that.
  private volatile long clockStartedAt;
  private Thread producerThread;
  private Thread consumerThread;

  CompensationDemo(String bootstrap, Topics topics, int rate, long seed, DemoTimeline timeline) {
    this.bootstrap = bootstrap;
    this.topics = topics;
    this.rate = rate;
    this.timeline = timeline;
    this.world = world(seed, timeline);
    for (int s = 0; s < timeline.slots(); s++) {
      slotRows.add(new ArrayList<>());
    }
    this.shiftedSums = new double[timeline.slots()][4];
    this.sentPerSlot = new AtomicLongArray(timeline.slots());
  }

  static TasteShiftWorld world(long seed, DemoTimeline timeline) {
    return new TasteShiftWorld(seed, timeline.shiftAt(), MAX_OUTCOME_DELAY_MS, "v1");
  }

  void start() {
    startedAt = System.nanoTime();
    producerThread = new Thread(this::produce, "demo-compensation-traffic");
    consumerThread = new Thread(this::consume, "demo-compensation-scoring");
    producerThread.start();
    consumerThread.start();
  }

  /** Milliseconds on the demo's clock, or -1 while warming up. */
  long elapsedMillis() {
    long zero = clockStartedAt;
    return zero == 0 ? -1 : TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - zero);
  }

  /** Milliseconds of warm-up: from the first prediction to the clock's start (or to now). */
  long warmupMillis() {
    long zero = clockStartedAt;
    return TimeUnit.NANOSECONDS.toMillis((zero == 0 ? System.nanoTime() : zero) - startedAt);
  }

  /**
   * Event time of the next prediction. While warming up (until the first compensations come back,
   * or {@link #MAX_WARMUP_MILLIS}) the world runs before the demo's clock, so warm-up traffic is
   * the same world, ahead of the first slot and scored in none.
   */
  private long nextEventTime() {
    long clock = elapsedMillis();
    if (clock >= 0) {
      return timeline.eventTime(clock);
    }
    long warmup = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedAt);
    if (scored.get() >= FIRST_COMPENSATIONS || warmup >= MAX_WARMUP_MILLIS) {
      clockStartedAt = System.nanoTime();
      return timeline.eventTime(0);
    }
    return timeline.eventTime(warmup - MAX_WARMUP_MILLIS);
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
        // The producer does not wait for the compensations: a prediction is compensated once the
        // stream's time has moved past it (the replica's alignment), so stopped traffic would hold
        // back the very compensations it waits for. A backlog only delays them (a slot's figures
        // do not depend on it); only a runaway backlog slows the traffic down.
        if (sent.get() - scored.get() > MAX_BACKLOG_SECONDS * rate) {
          TimeUnit.MILLISECONDS.sleep(1);
          next = System.nanoTime();
        }
        long time = nextEventTime();
        TasteShiftWorld.Event event = world.nextPrediction(time);
        int slot = time < timeline.eventTime(0) ? -1 : timeline.slotOf(time);
        awaiting.put(
            event.prediction().requestId(), new Sent(event.label(), event.shifted(), slot));
        if (slot >= 0) {
          sentPerSlot.incrementAndGet(slot);
        }
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
          record(EventCodec.JSON.readValue(record.value(), Compensation.class));
        }
        long now = System.nanoTime();
        if (scored.get() != lastScored) {
          lastScored = scored.get();
          lastProgress = now;
        }
        if (!running && now - Math.max(stoppedAt, lastProgress) > TimeUnit.SECONDS.toNanos(15)) {
          break; // the drain stalled
        }
      }
    } catch (Exception e) {
      if (running) {
        throw new IllegalStateException("demo scoring failed", e);
      }
    }
  }

  private void record(Compensation c) {
    Sent s = awaiting.remove(c.requestId());
    if (s == null) {
      return;
    }
    scored.incrementAndGet();
    if (s.slot < 0) {
      return; // warm-up
    }
    synchronized (slotRows) {
      slotRows.get(s.slot).add(new double[] {s.label, c.score(), c.compensatedScore(), c.trust()});
      if (s.shifted) {
        double[] sums = shiftedSums[s.slot];
        sums[0]++;
        sums[1] += s.label;
        sums[2] += c.score();
        sums[3] += c.compensatedScore();
      }
    }
  }

  long sent() {
    return sent.get();
  }

  long scored() {
    return scored.get();
  }

  /** Whether nearly all of a slot's predictions have their compensation (the slot has ended). */
  boolean slotComplete(int index) {
    long sentInSlot = sentPerSlot.get(index);
    int scoredInSlot;
    synchronized (slotRows) {
      scoredInSlot = slotRows.get(index).size();
    }
    return scoredInSlot >= 0.98 * sentInSlot;
  }

  /** The figures of a slot so far, or null with too few predictions to judge. */
  Slot slot(int index) {
    List<double[]> rows;
    synchronized (slotRows) {
      rows = new ArrayList<>(slotRows.get(index));
    }
    if (rows.size() < 50) {
      return null;
    }
    double[] y = new double[rows.size()];
    double[] base = new double[rows.size()];
    double[] comp = new double[rows.size()];
    double trust = 0;
    for (int i = 0; i < rows.size(); i++) {
      y[i] = rows.get(i)[0];
      base[i] = rows.get(i)[1];
      comp[i] = rows.get(i)[2];
      trust += rows.get(i)[3];
    }
    return new Slot(
        rows.size(),
        BinaryMetrics.auc(y, base),
        BinaryMetrics.auc(y, comp),
        BinaryMetrics.logloss(y, base),
        BinaryMetrics.logloss(y, comp),
        trust / rows.size());
  }

  /**
   * What the memory learned about the shifted pairs by the end: in the last slot with enough of
   * them, their click rate, the base model's mean score and the compensated one; null without one.
   */
  double[] shiftedRatesAtTheEnd() {
    synchronized (slotRows) {
      for (int slot = shiftedSums.length - 1; slot >= 0; slot--) {
        double[] sums = shiftedSums[slot];
        if (sums[0] >= 50) {
          return new double[] {sums[1] / sums[0], sums[2] / sums[0], sums[3] / sums[0]};
        }
      }
      return null;
    }
  }

  void stopTraffic() throws InterruptedException {
    running = false;
    stoppedAt = System.nanoTime();
    producerThread.join();
    consumerThread.join();
  }

  @Override
  public void close() throws InterruptedException {
    if (running && producerThread != null) {
      stopTraffic();
    }
  }
}
