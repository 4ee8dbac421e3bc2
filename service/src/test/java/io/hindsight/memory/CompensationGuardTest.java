package io.hindsight.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CompensationGuardTest {

  // At one observation a second, a five-minute half-life holds about 300 / ln 2 ≈ 433 of weight.
  private static final GuardSettings SETTINGS = new GuardSettings(300_000, 100, 0.01);

  /** Feeds {@code count} samples, one per second from {@code start}, with base p = 0.3. */
  private static long feed(
      CompensationGuard guard, SplittableRandom random, long start, int count, double compensated) {
    long t = start;
    for (int i = 0; i < count; i++, t += 1_000) {
      double label = random.nextDouble() < 0.3 ? 1 : 0;
      guard.observe(t, label, 0.3, compensated);
    }
    return t;
  }

  @Test
  void shouldTrustFullyWithoutEnoughEvidence() {
    CompensationGuard guard = new CompensationGuard(SETTINGS);
    assertThat(guard.trust()).isEqualTo(1.0);
    assertThat(guard.isFallingBack()).isFalse();
    assertThat(guard.excess()).isNaN();
    feed(guard, new SplittableRandom(1), 0, 50, 0.9);
    assertThat(guard.trust()).isEqualTo(1.0);
  }

  @Test
  void shouldFallBackWhenTheCompensationIsWorseAndRecoverWhenItIsBetter() {
    CompensationGuard guard = new CompensationGuard(SETTINGS);
    SplittableRandom random = new SplittableRandom(2);
    long t = feed(guard, random, 0, 600, 0.6);
    assertThat(guard.trust()).isEqualTo(0.0);
    assertThat(guard.isFallingBack()).isTrue();
    assertThat(guard.excess()).isGreaterThan(0.1);

    // A better compensation (the true rate is 0.3 and the guard sees labels that follow it) takes
    // over within two half-lives.
    CompensationGuard recovering = guard;
    long u = t;
    for (int i = 0; i < 600; i++, u += 1_000) {
      double label = random.nextDouble() < 0.1 ? 1 : 0;
      recovering.observe(u, label, 0.3, 0.1);
    }
    assertThat(recovering.trust()).isEqualTo(1.0);
    assertThat(recovering.excess()).isNegative();
  }

  @Test
  void shouldTrustPartlyWithinTheTolerance() {
    CompensationGuard guard = new CompensationGuard(new GuardSettings(0, 1, 0.01));
    // Every sample has label 1, scored 0.5 by the base and, by the compensation, at the
    // probability whose loss is 0.5 % higher.
    double base = CompensationGuard.logloss(1, 0.5);
    double worse = base * 1.005;
    double p = Math.exp(-worse);
    for (int i = 0; i < 100; i++) {
      guard.observe(i, 1, 0.5, p);
    }
    assertThat(guard.excess()).isCloseTo(0.005, within(1e-5));
    assertThat(guard.trust()).isCloseTo(0.5, within(1e-3));
    assertThat(guard.baseLogloss()).isCloseTo(base, within(1e-5));
  }

  @Test
  void shouldHoldTheSameStateForAnyOrderOfObservations() {
    SplittableRandom random = new SplittableRandom(3);
    record Observation(long t, double label, double base, double compensated) {}
    List<Observation> observations = new ArrayList<>();
    for (int i = 0; i < 2_000; i++) {
      observations.add(
          new Observation(
              random.nextLong(400_000),
              random.nextInt(2),
              random.nextDouble(),
              random.nextDouble()));
    }
    List<Observation> shuffled = new ArrayList<>(observations);
    Collections.shuffle(shuffled, new Random(3));
    CompensationGuard a = new CompensationGuard(SETTINGS);
    CompensationGuard b = new CompensationGuard(SETTINGS);
    observations.forEach(o -> a.observe(o.t(), o.label(), o.base(), o.compensated()));
    shuffled.forEach(o -> b.observe(o.t(), o.label(), o.base(), o.compensated()));
    // Within one decay epoch (8 half-lives = 480 s), bit for bit.
    assertThat(a.snapshot()).containsExactly(b.snapshot());
    assertThat(a.trust()).isEqualTo(b.trust());
  }

  @Test
  void shouldRestoreASnapshot() {
    CompensationGuard guard = new CompensationGuard(SETTINGS);
    feed(guard, new SplittableRandom(4), 0, 300, 0.5);
    CompensationGuard restored = new CompensationGuard(SETTINGS);
    restored.restore(guard.snapshot());
    assertThat(restored.trust()).isEqualTo(guard.trust());
    assertThat(restored.snapshot()).containsExactly(guard.snapshot());
    assertThatThrownBy(() -> restored.restore(new long[] {9, 0, 0, 0, 0, 0, 0}))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void shouldRejectBadObservationsAndSettings() {
    CompensationGuard guard = new CompensationGuard(SETTINGS);
    assertThatThrownBy(() -> guard.observe(0, 2, 0.5, 0.5))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> guard.observe(-1, 1, 0.5, 0.5))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(guard.observations()).isZero();
    assertThatThrownBy(() -> new GuardSettings(0, 1, 0)).hasMessageContaining("tolerance");
    assertThatThrownBy(() -> new GuardSettings(-1, 1, 0.1)).hasMessageContaining("halfLifeMs");
  }
}
