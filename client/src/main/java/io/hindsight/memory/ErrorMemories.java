package io.hindsight.memory;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** Creates error memories by implementation name, as configuration names them. */
public final class ErrorMemories {

  /** {@link OnHeapSketchMemory}: nothing persisted. */
  public static final String ON_HEAP = "onheap";

  /** {@link OffHeapSketchMemory}: one flat memory-mapped file. */
  public static final String OFF_HEAP = "offheap";

  /** {@link ChronicleSketchMemory}: one Chronicle Map entry per bucket. */
  public static final String CHRONICLE = "chronicle";

  /** The file name a persisted memory uses inside its directory. */
  public static final String OFF_HEAP_FILE = "sketch.bin";

  /** The file name of the Chronicle Map inside its directory. */
  public static final String CHRONICLE_FILE = "sketch.cm";

  private ErrorMemories() {}

  /** The implementation names {@link #open} accepts. */
  public static List<String> kinds() {
    return List.of(ON_HEAP, OFF_HEAP, CHRONICLE);
  }

  /**
   * Opens a memory of the named kind. Persisted kinds keep their file in {@code directory} (which
   * must exist) and report through {@link ErrorMemory#openOutcome()} whether it was restored;
   * {@code directory} is ignored (and may be null) for {@value #ON_HEAP}.
   *
   * @throws IllegalArgumentException for an unknown kind, or a persisted kind without a directory
   */
  public static ErrorMemory open(String kind, SketchSettings settings, Path directory) {
    String name = kind == null ? "" : kind.trim().toLowerCase(Locale.ROOT);
    switch (name) {
      case ON_HEAP:
        return new OnHeapSketchMemory(settings);
      case OFF_HEAP:
        return OffHeapSketchMemory.open(
            requireDirectory(directory, name).resolve(OFF_HEAP_FILE), settings);
      case CHRONICLE:
        return ChronicleSketchMemory.open(
            requireDirectory(directory, name).resolve(CHRONICLE_FILE), settings);
      default:
        throw new IllegalArgumentException(
            "unknown error memory kind '" + kind + "', expected one of " + kinds());
    }
  }

  /** A view of {@code memory} that serializes every call on one lock, for sharing it. */
  public static ErrorMemory synchronizedMemory(ErrorMemory memory) {
    return memory instanceof SynchronizedErrorMemory ? memory : new SynchronizedErrorMemory(memory);
  }

  private static Path requireDirectory(Path directory, String kind) {
    if (directory == null) {
      throw new IllegalArgumentException("error memory kind '" + kind + "' needs a directory");
    }
    return directory;
  }
}
