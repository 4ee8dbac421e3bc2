package io.hindsight.events;

/** What happened after a prediction: {@code label} in [0,1] (click = 1). */
public record Outcome(String requestId, long timestamp, double label) {}
