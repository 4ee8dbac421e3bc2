package io.hindsight.cli;

import io.hindsight.DataDirectory;
import io.hindsight.HindsightService;
import io.hindsight.config.HindsightConfig;
import io.hindsight.events.EventCodec;
import io.hindsight.rewrite.RewriteApp;
import io.hindsight.simulation.TasteShiftWorld;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code hindsight demo}: the embedded broker and every topology with their default settings, the
 * same code path as {@code hindsight run}, fed synthetic traffic in which one thing changes at a
 * stated moment; a line per slot and a summary of what Hindsight learned. Its data lives in {@code
 * data.dir} (default ./data/demo) and is wiped at start.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description =
        "Run every loop on the embedded broker with synthetic traffic and print what it learns.")
public final class DemoCommand implements Callable<Integer> {
  /** The duration of the README's command, and the default. */
  static final int README_DURATION_SECONDS = 60;

  static final int DEFAULT_RATE = 2_000;

  @Mixin ConfigOptions options;
  @Mixin LogOptions logs;

  @Option(
      names = "--duration",
      defaultValue = "" + README_DURATION_SECONDS,
      paramLabel = "SECONDS",
      description = "How long to generate traffic (default ${DEFAULT-VALUE}).")
  int durationSeconds;

  @Option(
      names = "--rate",
      defaultValue = "" + DEFAULT_RATE,
      paramLabel = "N",
      description = "Predictions per second at most (default ${DEFAULT-VALUE}).")
  int rate;

  /** Only where the demo keeps its data and its application id differ from {@code run}'s. */
  static final Map<String, String> DEMO_DEFAULTS =
      Map.of(
          HindsightConfig.DATA_DIR, "./data/demo",
          HindsightConfig.APPLICATION_ID, "hindsight-demo");

  @Override
  public Integer call() throws Exception {
    HindsightConfig config = options.load(DEMO_DEFAULTS);
    if (config.embeddedBroker()) {
      DataDirectory.delete(Path.of(config.getString(HindsightConfig.DATA_DIR)));
    }
    logs.route(config);
    CountDownLatch interrupted = new CountDownLatch(1);
    Signals.onTermination(interrupted::countDown);
    EventCodec.JSON.getClass(); // load Jackson before timing starts
    DemoTimeline timeline = DemoTimeline.endingNow(durationSeconds);
    try (HindsightService service =
            HindsightService.start(
                config,
                (c, registry) -> Apps.create(c, registry, Apps.Selection.all),
                Console::announce);
        CompensationDemo compensation =
            new CompensationDemo(service.bootstrapServers(), service.topics(), rate, 42, timeline);
        RewriteDemo rewrites =
            new RewriteDemo(
                service.bootstrapServers(),
                service.topics(),
                (RewriteApp) service.apps().get(1),
                Math.max(1, rate / 4),
                42,
                timeline.slots(),
                compensation::elapsedMillis)) {
      announceWorld(timeline, rewrites);
      awaitReady(service, interrupted);
      compensation.start();
      rewrites.start();
      while (compensation.elapsedMillis() < 0 && interrupted.getCount() > 0) {
        interrupted.await(100, TimeUnit.MILLISECONDS);
      }
      Console.announce(
          String.format(
              "[0:00] the first compensations came back after %.1f s of warm-up traffic;"
                  + " the clock starts.",
              compensation.warmupMillis() / 1e3));
      long end = TimeUnit.SECONDS.toMillis(durationSeconds);
      boolean shiftAnnounced = false;
      int reported = 0;
      while (compensation.elapsedMillis() < end && interrupted.getCount() > 0) {
        long now = compensation.elapsedMillis();
        if (!shiftAnnounced && now >= timeline.shiftWallMillis()) {
          Console.announce(
              "["
                  + DemoTimeline.clock(timeline.shiftWallMillis())
                  + "] the shift: "
                  + shiftSentence()
                  + "; the model does not know.");
          shiftAnnounced = true;
        }
        // A slot is reported once it has ended and nearly all its compensations are in.
        while (reported < timeline.slots()
            && now >= (reported + 1) * DemoTimeline.SLOT_MILLIS
            && compensation.slotComplete(reported)) {
          Console.announce(
              "[" + DemoTimeline.clock(now) + "] " + slotLine(compensation, rewrites, reported));
          reported++;
        }
        interrupted.await(200, TimeUnit.MILLISECONDS);
      }
      Console.announce("stopping the traffic; scoring the last compensations ...");
      compensation.stopTraffic();
      rewrites.stopTraffic();
      summary(timeline, compensation, rewrites).lines().forEach(Console::announce);
    }
    return 0;
  }

  /** Traffic starts once every topology runs, so the first slot is not spent starting up. */
  private static void awaitReady(HindsightService service, CountDownLatch interrupted)
      throws InterruptedException {
    long started = System.nanoTime();
    while (!service.isReady() && interrupted.getCount() > 0) {
      if (service.failure().isDone()) {
        throw new IllegalStateException("a topology failed to start", service.failure().join());
      }
      interrupted.await(100, TimeUnit.MILLISECONDS);
    }
    Console.announce(
        String.format("ready after %.1f s; traffic starts.", (System.nanoTime() - started) / 1e9));
  }

  private static String shiftSentence() {
    return String.join(" and ", TasteShiftWorld.SHIFTED_SEGMENTS)
        + " start clicking "
        + TasteShiftWorld.SHIFTED_GENRE
        + " items far more often";
  }

  private void announceWorld(DemoTimeline timeline, RewriteDemo rewrites) {
    Console.announce(
        String.format(
            "demo: %d s of traffic, up to %,d predictions/s, each second ten minutes of the"
                + " world's time.",
            durationSeconds, rate));
    Console.announce(
        "  recommender: 2,000 users ("
            + String.join(", ", TasteShiftWorld.SEGMENTS)
            + ") and 640 items in "
            + TasteShiftWorld.GENRES.size()
            + " genres, scored by a frozen model that never saw a quarter of the items.");
    Console.announce(
        "  at "
            + DemoTimeline.clock(timeline.shiftWallMillis())
            + " "
            + shiftSentence()
            + "; nobody retrains the model.");
    Console.announce(
        "  voice assistant: users whose words are misrecognised rephrase ("
            + rewrites.source()
            + ").");
  }

  private static String slotLine(CompensationDemo compensation, RewriteDemo rewrites, int slot) {
    CompensationDemo.Slot s = compensation.slot(slot);
    String figures =
        s == null
            ? "too few compensations yet"
            : String.format(
                "AUC %.3f -> %.3f, logloss %.4f -> %.4f (base -> compensated, %,d predictions)",
                s.aucBase(), s.aucComp(), s.llBase(), s.llComp(), s.n());
    return String.format(
        "slot %d: %s; %,d turns rescued by %d live rewrite rules",
        slot + 1, figures, rewrites.rescued(slot), rewrites.liveRuleCount());
  }

  private static String summary(
      DemoTimeline timeline, CompensationDemo compensation, RewriteDemo rewrites) {
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            "summary: %,d predictions sent, %,d compensated; * = after the shift at %s%n",
            compensation.sent(),
            compensation.scored(),
            DemoTimeline.clock(timeline.shiftWallMillis())));
    out.append(
        String.format(
            "  %-5s %-9s %8s %9s %9s %9s %9s %6s %9s%n",
            "slot", "time", "n", "AUC base", "AUC comp", "LL base", "LL comp", "trust", "rescued"));
    int after = 0;
    int wins = 0;
    for (int i = 0; i < timeline.slots(); i++) {
      CompensationDemo.Slot s = compensation.slot(i);
      boolean shifted = timeline.slotStartsAfterShift(i);
      String slot = (i + 1) + (shifted ? "*" : "");
      String time =
          DemoTimeline.clock(i * DemoTimeline.SLOT_MILLIS)
              + "-"
              + DemoTimeline.clock((i + 1) * DemoTimeline.SLOT_MILLIS);
      if (s == null) {
        out.append(
            String.format(
                "  %-5s %-9s %8s %9s %9s %9s %9s %6s %9d%n",
                slot, time, "-", "-", "-", "-", "-", "-", rewrites.rescued(i)));
      } else {
        out.append(
            String.format(
                "  %-5s %-9s %8d %9.4f %9.4f %9.4f %9.4f %6.2f %9d%n",
                slot,
                time,
                s.n(),
                s.aucBase(),
                s.aucComp(),
                s.llBase(),
                s.llComp(),
                s.trust(),
                rewrites.rescued(i)));
      }
      if (shifted) {
        after++;
        if (s != null && s.compensationWins()) {
          wins++;
        }
      }
    }
    out.append(
        String.format(
            "compensation beat the base model on AUC and logloss in %d of the %d slots after the"
                + " shift.%n",
            wins, after));
    out.append(rewrites.totals()).append('\n');
    out.append(learned(compensation, rewrites));
    return out.toString();
  }

  /** One plain sentence of what Hindsight learned, from the figures of this run. */
  private static String learned(CompensationDemo compensation, RewriteDemo rewrites) {
    double[] rates = compensation.shiftedRatesAtTheEnd();
    Optional<String> rule = rewrites.example();
    String about =
        rates == null
            ? "Hindsight saw too little traffic after the shift to learn the change"
            : String.format(
                "Hindsight learned that %s now click %s: by the end they clicked %.0f %% of the"
                    + " %s items shown, the model predicted %.0f %%, the compensated score %.0f %%",
                String.join(" and ", TasteShiftWorld.SHIFTED_SEGMENTS),
                TasteShiftWorld.SHIFTED_GENRE,
                100 * rates[0],
                TasteShiftWorld.SHIFTED_GENRE,
                100 * rates[1],
                100 * rates[2]);
    String also = rates == null ? "; it did learn that " : "; and that ";
    return about + rule.map(r -> also + r).orElse("") + ".";
  }
}
