/** The error memory of Loop A (ReLoop2): LSH sketches of labelled errors, no Kafka. */
package io.hindsight.memory;
