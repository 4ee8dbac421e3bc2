package io.hindsight.compensation;

/** Headers of labelled-samples records, which every replica reads as the service's does. */
public final class SampleHeaders {
  private SampleHeaders() {}

  /** Marks a sample published before its prediction was scored: its features follow. */
  public static final String FEATURES_PENDING = "hindsight.features.pending";
}
