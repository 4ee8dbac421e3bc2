package io.hindsight.memory;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** Creates field memories by implementation name, as configuration names them; stateless. */
public final class FieldMemories {

  /** {@link OnHeapFieldMemory}: nothing persisted. */
  public static final String ON_HEAP = "onheap";

  /** {@link ChronicleFieldMemory}: one Chronicle Map entry per value. */
  public static final String CHRONICLE = "chronicle";

  private FieldMemories() {}

  /** The implementation names {@link #open} accepts. */
  public static List<String> kinds() {
    return List.of(ON_HEAP, CHRONICLE);
  }

  /**
   * The file name of a field's Chronicle Map inside its directory: {@code field-<name>.cm}, with
   * every character outside {@code [A-Za-z0-9_.-]} replaced by {@code _} and the name's hash
   * appended when that changed it, so distinct fields never share a file.
   */
  public static String fileName(String field) {
    String safe = field.replaceAll("[^A-Za-z0-9_.-]", "_");
    if (!safe.equals(field)) {
      safe += "-" + Integer.toHexString(field.hashCode());
    }
    return "field-" + safe + ".cm";
  }

  /**
   * Opens a field memory of the named kind. The persisted kind keeps its file, named by {@link
   * #fileName}, in {@code directory} (which must exist) and reports through {@link
   * FieldMemory#openOutcome()} whether it was restored; {@code directory} is ignored (and may be
   * null) for {@value #ON_HEAP}.
   *
   * @throws IllegalArgumentException for an unknown kind, or a persisted kind without a directory
   */
  public static FieldMemory open(String kind, FieldMemorySettings settings, Path directory) {
    String name = kind == null ? "" : kind.trim().toLowerCase(Locale.ROOT);
    switch (name) {
      case ON_HEAP:
        return new OnHeapFieldMemory(settings);
      case CHRONICLE:
        if (directory == null) {
          throw new IllegalArgumentException("field memory kind '" + name + "' needs a directory");
        }
        return ChronicleFieldMemory.open(directory.resolve(fileName(settings.field())), settings);
      default:
        throw new IllegalArgumentException(
            "unknown field memory kind '" + kind + "', expected one of " + kinds());
    }
  }

  /** A view of {@code memory} that serializes every call on one lock, for sharing it. */
  public static FieldMemory synchronizedMemory(FieldMemory memory) {
    return memory instanceof SynchronizedFieldMemory ? memory : new SynchronizedFieldMemory(memory);
  }
}
