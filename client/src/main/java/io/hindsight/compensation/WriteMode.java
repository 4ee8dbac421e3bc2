package io.hindsight.compensation;

import java.util.Arrays;
import java.util.Locale;

/**
 * When a labelled sample reaches the memories (configuration {@code compensation.write.mode}).
 * Writing on close keeps positives from reaching the memory before the negatives of the same period
 * where negatives are implicit (they only exist once the window closes); where negatives arrive as
 * outcomes, that bias cannot arise and holding each label for the whole window only delays it.
 */
public enum WriteMode {
  /**
   * As soon as the outcome arrives once the task's inputs have shown, for the model version, an
   * explicit negative, two windows of predictions and no window closed without an outcome; on close
   * otherwise (see {@code CompensationProcessor.writeNow}).
   */
  AUTO("auto"),
  /** Every sample when its attribution window closes. */
  ON_CLOSE("on-close"),
  /** A sample as soon as its outcome arrives; implicit negatives when their window closes. */
  EAGER("eager");

  private final String configName;

  WriteMode(String configName) {
    this.configName = configName;
  }

  /** The name configuration, metrics and answers use. */
  public String configName() {
    return configName;
  }

  /**
   * The mode named {@code name}, ignoring case and surrounding blanks.
   *
   * @throws IllegalArgumentException naming the valid modes if there is none of that name
   */
  public static WriteMode fromConfig(String name) {
    String wanted = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    for (WriteMode mode : values()) {
      if (mode.configName.equals(wanted)) {
        return mode;
      }
    }
    throw new IllegalArgumentException(
        "unknown write mode '"
            + name
            + "', expected one of "
            + Arrays.stream(values()).map(WriteMode::configName).toList());
  }
}
