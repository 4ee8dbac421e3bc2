package io.hindsight.events;

/** A live rewrite rule, the value of the compacted {@code rewrites} topic. */
public record Rewrite(
    String source,
    String target,
    double confidence,
    double sourceSuccess,
    double targetSuccess,
    long support,
    long version,
    long updatedAt) {}
