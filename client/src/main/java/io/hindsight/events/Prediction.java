package io.hindsight.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Map;

/**
 * A served score. {@code embedding} is the model's hidden vector; without it {@code features} is
 * hashed into one.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Prediction(
    String requestId,
    String modelId,
    String modelVersion,
    long timestamp,
    double score,
    float[] embedding,
    Map<String, Object> features,
    String userId,
    String itemId) {}
