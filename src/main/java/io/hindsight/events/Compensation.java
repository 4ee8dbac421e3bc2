package io.hindsight.events;

/** The compensated score published for one prediction; {@code evidence} 0 means unchanged. */
public record Compensation(
    String requestId,
    String modelId,
    String modelVersion,
    long timestamp,
    double score,
    double compensatedScore,
    double delta,
    int evidence) {}
