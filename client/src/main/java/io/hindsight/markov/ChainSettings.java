package io.hindsight.markov;

import java.time.Duration;
import java.util.Objects;

/**
 * Sizing and forgetting of {@link ChainStatistics}. Immutable.
 *
 * @param maxSuccessors successors kept per state (the top by count); the rest leak to failure
 * @param supportSketchSize k of the bottom-k distinct-user sketches: user counts below k are exact
 * @param halfLife event-time half-life of all counts; {@link Duration#ZERO} disables decay
 * @param expectedStates states to size the tables for up front (they grow past it)
 */
public record ChainSettings(
    int maxSuccessors, int supportSketchSize, Duration halfLife, int expectedStates) {

  /** 16 successors, exact user counts up to 31, no decay, sized for 1,024 states. */
  public static ChainSettings defaults() {
    return new ChainSettings(16, 32, Duration.ZERO, 1024);
  }

  public ChainSettings {
    if (maxSuccessors < 1 || maxSuccessors > 1024) {
      throw new IllegalArgumentException("maxSuccessors must be in [1, 1024]: " + maxSuccessors);
    }
    if (supportSketchSize < 2 || supportSketchSize > 4096) {
      throw new IllegalArgumentException(
          "supportSketchSize must be in [2, 4096]: " + supportSketchSize);
    }
    Objects.requireNonNull(halfLife, "halfLife");
    if (halfLife.isNegative()) {
      throw new IllegalArgumentException("halfLife must not be negative: " + halfLife);
    }
    if (expectedStates < 0) {
      throw new IllegalArgumentException("expectedStates must not be negative: " + expectedStates);
    }
  }

  public ChainSettings withMaxSuccessors(int value) {
    return new ChainSettings(value, supportSketchSize, halfLife, expectedStates);
  }

  public ChainSettings withSupportSketchSize(int value) {
    return new ChainSettings(maxSuccessors, value, halfLife, expectedStates);
  }

  public ChainSettings withHalfLife(Duration value) {
    return new ChainSettings(maxSuccessors, supportSketchSize, value, expectedStates);
  }

  public ChainSettings withExpectedStates(int value) {
    return new ChainSettings(maxSuccessors, supportSketchSize, halfLife, value);
  }
}
