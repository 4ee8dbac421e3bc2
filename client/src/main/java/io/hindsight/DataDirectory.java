package io.hindsight;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Operations on Hindsight's own local directories (state, broker data): they are caches of Kafka.
 */
public final class DataDirectory {
  private DataDirectory() {}

  /** Deletes a file or a directory tree; absent is fine. */
  public static void delete(Path path) {
    if (!Files.exists(path)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(path)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot delete " + path, e);
    }
  }

  /** Bytes in a file or a directory tree; 0 when absent. */
  public static long size(Path path) {
    if (!Files.exists(path)) {
      return 0;
    }
    try (Stream<Path> walk = Files.walk(path)) {
      return walk.filter(Files::isRegularFile).mapToLong(DataDirectory::sizeOf).sum();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot measure " + path, e);
    }
  }

  private static long sizeOf(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      return 0; // deleted while we walked: it no longer counts
    }
  }
}
