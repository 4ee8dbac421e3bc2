package io.hindsight.memory;

import java.util.Arrays;
import java.util.Locale;

/** Which score a {@link FieldCompensator} serves (configuration key {@code compensation.mode}). */
public enum CompensationMode {
  /** The paper's formula only: clamp(y_base + λ·y_err, 0, 1) from the sketch. */
  RELOOP2("reloop2"),
  /** The field memories only: clamp(y_base + λ·Σ_f estimate_f, 0, 1). */
  FIELDS("fields"),
  /** The learned blend over the base, the sketch and the fields, held back by the guard. */
  BLEND("blend");

  /** The mode used when configuration names none. */
  public static final CompensationMode DEFAULT = BLEND;

  private final String configName;

  CompensationMode(String configName) {
    this.configName = configName;
  }

  /** The name configuration uses. */
  public String configName() {
    return configName;
  }

  /**
   * The mode named {@code name}, ignoring case and surrounding blanks.
   *
   * @throws IllegalArgumentException naming the valid modes if there is none of that name
   */
  public static CompensationMode fromConfig(String name) {
    String wanted = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    for (CompensationMode mode : values()) {
      if (mode.configName.equals(wanted)) {
        return mode;
      }
    }
    throw new IllegalArgumentException(
        "unknown compensation mode '"
            + name
            + "', expected one of "
            + Arrays.stream(values()).map(CompensationMode::configName).toList());
  }
}
