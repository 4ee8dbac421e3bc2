package io.hindsight.cli;

import io.hindsight.config.Topics;
import io.hindsight.datasets.SessionSimulator;
import io.hindsight.datasets.SimulatedTurn;
import io.hindsight.markov.RewriteRule;
import io.hindsight.rewrite.RewriteApp;
import io.hindsight.rewrite.RewriteReplica;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The rewrite half of the demo: simulated users speak real utterances (Snips) with real
 * misspellings (codespell) standing in for recognition errors; the serving side applies the rules
 * Hindsight has published so far, read from this instance's replica. Counts defects with the live
 * rules and what they would have been without them.
 */
final class RewriteDemo implements AutoCloseable {
  private static final Path SHARED = Path.of("..", "shared", "data");

  private final String bootstrap;
  private final Topics topics;
  private final RewriteApp app;
  private final int rate;
  private final SessionSimulator simulator;
  private final AtomicLong turns = new AtomicLong();
  private final AtomicLong defects = new AtomicLong();
  private final AtomicLong defectsWithoutRules = new AtomicLong();
  private final AtomicLong rewritten = new AtomicLong();
  private final AtomicLong wins = new AtomicLong();
  private final long[] slotTurns;
  private final long[] slotRescued;
  private volatile boolean running = true;
  private final java.util.function.LongSupplier clock;
  private Thread thread;

  /**
   * @param clock milliseconds on the demo's clock (negative while warming up), for the slots
   */
  RewriteDemo(
      String bootstrap,
      Topics topics,
      RewriteApp app,
      int rate,
      long seed,
      int slots,
      java.util.function.LongSupplier clock)
      throws Exception {
    this.clock = clock;
    this.bootstrap = bootstrap;
    this.topics = topics;
    this.app = app;
    this.rate = rate;
    this.slotTurns = new long[slots];
    this.slotRescued = new long[slots];
    SessionSimulator.Builder builder =
        SessionSimulator.builder()
            .users(400)
            .days(365)
            .turnsPerUserPerDay(1.5)
            .seed(seed)
            .startMillis(System.currentTimeMillis() - Duration.ofDays(400).toMillis());
    Path utterances = SHARED.resolve("utterances/snips-2017-utterances.tsv");
    Path misspellings = SHARED.resolve("misspellings/codespell-dictionary.txt");
    if (Files.exists(utterances)) {
      builder.utterances(utterances);
    }
    if (Files.exists(misspellings)) {
      builder.misspellings(misspellings);
    }
    this.simulator = builder.build();
  }

  String source() {
    return simulator.usesBuiltInUtterances()
        ? "built-in sample utterances"
        : "Snips utterances with codespell misspellings";
  }

  void start() {
    thread = new Thread(this::produce, "demo-rewrite-traffic");
    thread.start();
  }

  private Optional<String> liveRule(String normalizedUtterance) {
    return app.replica().flatMap(r -> r.rule(normalizedUtterance)).map(RewriteRule::target);
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
      Iterator<SimulatedTurn> it = simulator.turns(this::liveRule);
      while (running && it.hasNext()) {
        SimulatedTurn turn = it.next();
        producer.send(
            new ProducerRecord<>(
                topics.interactions().name(),
                turn.userId(),
                turn.toEvent().without("type").toString()));
        count(turn);
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

  private synchronized void count(SimulatedTurn turn) {
    long elapsed = clock.getAsLong();
    if (elapsed < 0) {
      return; // warm-up
    }
    int slot = (int) Math.min(slotTurns.length - 1, elapsed / DemoTimeline.SLOT_MILLIS);
    turns.incrementAndGet();
    slotTurns[slot]++;
    boolean rescued = turn.rewriteTarget().isPresent() && turn.misrecognized() && !turn.failing();
    if (turn.rewriteTarget().isPresent()) {
      rewritten.incrementAndGet();
      if (rescued) {
        wins.incrementAndGet();
        slotRescued[slot]++;
      }
    }
    if (turn.failing()) {
      defects.incrementAndGet();
    }
    if (turn.failing() || rescued) {
      defectsWithoutRules.incrementAndGet();
    }
  }

  synchronized long turns(int slot) {
    return slotTurns[slot];
  }

  /** Turns in the slot that failed to be understood and a live rule rewrote into what was meant. */
  synchronized long rescued(int slot) {
    return slotRescued[slot];
  }

  private List<RewriteRule> liveRules() {
    return app.replica().map(RewriteReplica::liveRules).orElse(List.of());
  }

  synchronized int liveRuleCount() {
    return liveRules().size();
  }

  private String precision(List<RewriteRule> rules) {
    Map<String, String> truth = simulator.truth();
    long correct = rules.stream().filter(r -> r.target().equals(truth.get(r.source()))).count();
    return String.format("%.0f %%", 100.0 * correct / rules.size());
  }

  private static double percent(long part, long whole) {
    return whole == 0 ? 0 : 100.0 * part / whole;
  }

  /** Totals: turns, rules, precision, rescued turns and the defect rate with and without rules. */
  synchronized String totals() {
    List<RewriteRule> rules = liveRules();
    return String.format(
        "rewrites (simulated sessions, %s): %,d turns, %d live rules%s, %,d turns rescued;"
            + " %.2f %% of turns failed with the live rules, %.2f %% would have without",
        source(),
        turns.get(),
        rules.size(),
        rules.isEmpty() ? "" : " (" + precision(rules) + " of them right)",
        wins.get(),
        percent(defects.get(), turns.get()),
        percent(defectsWithoutRules.get(), turns.get()));
  }

  /** The shortest live rule that is right, as a phrase, or empty without one. */
  synchronized Optional<String> example() {
    Map<String, String> truth = simulator.truth();
    return liveRules().stream()
        .filter(r -> r.target().equals(truth.get(r.source())))
        .min(
            java.util.Comparator.comparingInt((RewriteRule r) -> r.source().length())
                .thenComparing(RewriteRule::source))
        .map(r -> "\"" + r.source() + "\" means \"" + r.target() + "\"");
  }

  void stopTraffic() throws InterruptedException {
    running = false;
    thread.join();
  }

  @Override
  public void close() throws InterruptedException {
    if (running) {
      stopTraffic();
    }
  }
}
