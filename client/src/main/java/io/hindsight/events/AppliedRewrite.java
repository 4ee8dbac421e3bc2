package io.hindsight.events;

/** The Hindsight rule the serving side applied to a turn. */
public record AppliedRewrite(String source, String target, long version) {}
