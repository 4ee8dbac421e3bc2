package io.hindsight.events;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Optional;

/** What the serving side observed about a turn. */
public enum Signal {
  SUCCESS("success"),
  DEFECT("defect"),
  BARGE_IN("barge-in"),
  ABANDON("abandon"),
  EXPLICIT_NEGATIVE("explicit-negative");

  private final String wireName;

  Signal(String wireName) {
    this.wireName = wireName;
  }

  @JsonValue
  public String wireName() {
    return wireName;
  }

  public boolean isDefect() {
    return this != SUCCESS;
  }

  public static Optional<Signal> fromWireName(String name) {
    for (Signal signal : values()) {
      if (signal.wireName.equals(name)) {
        return Optional.of(signal);
      }
    }
    return Optional.empty();
  }
}
