package io.hindsight.events;

import com.fasterxml.jackson.annotation.JsonInclude;

/** One user turn. {@code signal} absent means "infer it"; {@code rewrite} marks a treatment. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Interaction(
    String userId,
    long timestamp,
    String utterance,
    String sessionId,
    String interpretation,
    Signal signal,
    AppliedRewrite rewrite) {}
