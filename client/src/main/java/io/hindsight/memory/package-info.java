/**
 * The error memories of Loop A: ReLoop2's LSH sketches, per-field residual memories, and the
 * learned blend and guard that combine them; no Kafka.
 */
package io.hindsight.memory;
