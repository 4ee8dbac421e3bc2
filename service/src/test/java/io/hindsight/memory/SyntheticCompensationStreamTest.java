package io.hindsight.memory;

import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.evaluation.BinaryMetrics;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Offline runs of the whole compensation (sketch, two field memories, blend, guard) over synthetic
 * streams with delayed labels, scored prequentially: each prediction is scored before its label is
 * known, and learned from (blend, guard, then the memories) a fixed number of predictions later.
 */
class SyntheticCompensationStreamTest {

  private static final int USERS = 2_000;
  private static final int ITEMS = 300;
  private static final int LATENT = 4;
  private static final int EVENTS = 60_000;
  private static final int LABEL_DELAY = 500;
  private static final long EVENT_SPACING_MS = 1_000;

  /** One prediction of the frozen base model and the label it will get. */
  record Event(float[] key, String user, String item, double base, double label, long timestamp) {}

  /**
   * A frozen matrix-factorisation model and the world it scores. With {@code drift}, each user's
   * click logit moves away from the model's by a personal bias ~ N(0, 1) that ramps in over the
   * first fifth of the stream; without it the model is exactly calibrated.
   */
  static List<Event> stream(long seed, boolean drift) {
    SplittableRandom random = new SplittableRandom(seed);
    double[][] users = latent(random, USERS);
    double[][] items = latent(random, ITEMS);
    double[] itemBias = new double[ITEMS];
    double[] userDrift = new double[USERS];
    for (int i = 0; i < ITEMS; i++) {
      itemBias[i] = 0.5 * gaussian(random);
    }
    for (int u = 0; u < USERS; u++) {
      userDrift[u] = drift ? gaussian(random) : 0;
    }
    List<Event> events = new ArrayList<>(EVENTS);
    for (int n = 0; n < EVENTS; n++) {
      // Skewed activity: a few users and items account for much of the traffic.
      double r = random.nextDouble();
      int u = (int) (USERS * r * r);
      double s = random.nextDouble();
      int i = (int) (ITEMS * s * s);
      double logit = -1.2 + itemBias[i];
      float[] key = new float[2 * LATENT];
      for (int k = 0; k < LATENT; k++) {
        logit += 2 * users[u][k] * items[i][k];
        key[k] = (float) users[u][k];
        key[LATENT + k] = (float) items[i][k];
      }
      double ramp = Math.min(1.0, n / (0.2 * EVENTS));
      double truth = sigmoid(logit + ramp * userDrift[u]);
      double label = random.nextDouble() < truth ? 1 : 0;
      events.add(new Event(key, "u" + u, "i" + i, sigmoid(logit), label, n * EVENT_SPACING_MS));
    }
    return events;
  }

  /** The logloss of every variant over the last quarter of the stream. */
  static Map<String, Double> run(List<Event> events, CompensationMode mode) {
    SketchSettings sketchSettings =
        new SketchSettings(16, 6, 2 * LATENT, 7, 0.1, 0.5, 1.0, 1.0, 0, 0);
    FieldCompensator compensator =
        new FieldCompensator(
            mode,
            sketchSettings.lambda(),
            List.of("userId", "itemId"),
            BlendSettings.defaults(),
            new GuardSettings(3_600_000, 200, 0.01));
    record Pending(Event event, CompensationScores scores) {}
    ArrayDeque<Pending> pending = new ArrayDeque<>();
    int from = EVENTS * 3 / 4;
    List<String> names = compensator.variantNames();
    double[][] scores = new double[names.size() + 1][EVENTS - from];
    double[] labels = new double[EVENTS - from];
    try (OnHeapSketchMemory sketch = new OnHeapSketchMemory(sketchSettings);
        OnHeapFieldMemory users =
            new OnHeapFieldMemory(new FieldMemorySettings("userId", 10, 0, 100_000));
        OnHeapFieldMemory items =
            new OnHeapFieldMemory(new FieldMemorySettings("itemId", 10, 0, 100_000))) {
      for (int n = 0; n < events.size(); n++) {
        Event e = events.get(n);
        Readout readout = sketch.read(e.key(), e.base(), e.timestamp());
        CompensationScores s =
            compensator.score(
                e.base(),
                readout,
                users.estimate(e.user(), e.timestamp()),
                items.estimate(e.item(), e.timestamp()));
        pending.add(new Pending(e, s));
        if (n >= from) {
          double[] variants = s.variantScores();
          for (int v = 0; v < variants.length; v++) {
            scores[v][n - from] = variants[v];
          }
          scores[variants.length][n - from] = s.finalScore();
          labels[n - from] = e.label();
        }
        while (pending.size() > LABEL_DELAY) {
          Pending p = pending.poll();
          Event l = p.event();
          // Learn before writing: the features must not contain the sample's own residual.
          compensator.learn(p.scores(), l.label(), l.timestamp());
          sketch.write(new LabelledSample(l.key(), l.label(), l.base(), l.timestamp()));
          users.write(l.user(), l.label(), l.base(), l.timestamp());
          items.write(l.item(), l.label(), l.base(), l.timestamp());
        }
      }
    }
    Map<String, Double> logloss = new LinkedHashMap<>();
    StringBuilder auc = new StringBuilder("last quarter AUC:");
    for (int v = 0; v < names.size(); v++) {
      logloss.put(names.get(v), BinaryMetrics.logloss(labels, scores[v]));
      auc.append(String.format(" %s %.4f", names.get(v), BinaryMetrics.auc(labels, scores[v])));
    }
    System.out.println(auc);
    logloss.put(
        "final(" + mode.configName() + ")", BinaryMetrics.logloss(labels, scores[names.size()]));
    System.out.println(
        "weights "
            + LearnedBlend.featureNames(compensator.fields())
            + " = "
            + java.util.Arrays.toString(compensator.blend().weights())
            + ", trust "
            + compensator.guard().trust()
            + ", excess "
            + compensator.guard().excess());
    return logloss;
  }

  private static String describe(Map<String, Double> logloss) {
    double base = logloss.get("base");
    StringBuilder b = new StringBuilder();
    logloss.forEach(
        (name, value) ->
            b.append(
                String.format("%n  %-16s %.5f (%+.2f%%)", name, value, 100 * (value / base - 1))));
    return b.toString();
  }

  @Test
  void shouldStayWithinHalfAPercentOfACalibratedDriftFreeBase() {
    Map<String, Double> logloss = run(stream(1, false), CompensationMode.BLEND);
    System.out.println("calibrated, drift-free, last quarter logloss:" + describe(logloss));

    assertThat(logloss.get("final(blend)")).isLessThanOrEqualTo(1.005 * logloss.get("base"));
  }

  @Test
  void shouldBeatTheBaseWhenUsersDrift() {
    Map<String, Double> logloss = run(stream(2, true), CompensationMode.BLEND);
    System.out.println("per-user bias drift, last quarter logloss:" + describe(logloss));

    double base = logloss.get("base");
    assertThat(logloss.get("fields")).isLessThan(base);
    assertThat(logloss.get("field:userId")).isLessThan(base);
    assertThat(logloss.get("blend")).isLessThan(base);
    assertThat(logloss.get("final(blend)")).isLessThan(base);
    // On this stream the blend also beats each of its inputs served alone.
    assertThat(logloss.get("final(blend)"))
        .isLessThan(logloss.get("fields"))
        .isLessThan(logloss.get("reloop2"));
  }

  private static double[][] latent(SplittableRandom random, int count) {
    double[][] vectors = new double[count][LATENT];
    for (double[] v : vectors) {
      for (int k = 0; k < LATENT; k++) {
        v[k] = 0.5 * gaussian(random);
      }
    }
    return vectors;
  }

  private static double sigmoid(double x) {
    return 1 / (1 + Math.exp(-x));
  }

  private static double gaussian(SplittableRandom random) {
    return Math.sqrt(-2 * Math.log(1 - random.nextDouble()))
        * Math.cos(2 * Math.PI * random.nextDouble());
  }
}
