package io.hindsight.rewrite;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A seeded reformulations log: users misspell one of {@code families} requests and say it again
 * correctly (most succeed), say it right the first time, say something once and never again (cold
 * states to evict), and have rules applied to them (treatments), with event time moving forward a
 * few seconds per entry so that decision points are crossed throughout.
 */
final class ReformulationLog {
  private ReformulationLog() {}

  static List<Reformulation> generate(long seed, int entries, int families) {
    Random random = new Random(seed);
    List<Reformulation> log = new ArrayList<>(entries);
    long t = 1_600_000_000_000L;
    for (int i = 0; i < entries; i++) {
      t += 500 + random.nextInt(3_000);
      String user = "user-" + random.nextInt(400);
      int family = random.nextInt(families);
      String correct = "play song number " + family;
      String wrong = "plya song number " + family;
      double roll = random.nextDouble();
      if (roll < 0.45) {
        log.add(Reformulation.chain(user, t, List.of(wrong, correct), random.nextDouble() < 0.9));
      } else if (roll < 0.65) {
        log.add(Reformulation.chain(user, t, List.of(wrong), random.nextDouble() < 0.15));
      } else if (roll < 0.8) {
        log.add(Reformulation.chain(user, t, List.of(correct), random.nextDouble() < 0.85));
      } else if (roll < 0.92) {
        log.add(
            Reformulation.chain(
                user, t, List.of("once " + i, "twice " + i), random.nextDouble() < 0.5));
      } else {
        log.add(Reformulation.treatment(user, t, wrong, correct, random.nextDouble() < 0.8));
      }
    }
    return log;
  }
}
