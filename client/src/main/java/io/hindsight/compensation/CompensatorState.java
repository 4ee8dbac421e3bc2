package io.hindsight.compensation;

import io.hindsight.memory.FieldCompensator;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A model version's blend and guard, saved beside its memories when the replica closes cleanly and
 * consumed when it reopens. The file exists only between a clean close and the next open, so a
 * replica that finds it missing cannot continue its blend and is rebuilt from the labelled-samples
 * topic with its memories (which a crash leaves unclean anyway).
 */
final class CompensatorState {
  static final String FILE = "compensator.state";
  private static final int FORMAT = 2;

  private CompensatorState() {}

  static boolean exists(Path directory) {
    return Files.exists(directory.resolve(FILE));
  }

  /** Writes the state atomically (write, then rename). */
  static void save(Path directory, FieldCompensator compensator, long latestSample) {
    long[] guard = compensator.guard().snapshot();
    double[] blend = compensator.blend().snapshot();
    AtomicFile.write(
        directory.resolve(FILE),
        file -> {
          DataOutputStream out = new DataOutputStream(file);
          out.writeInt(FORMAT);
          out.writeInt(guard.length);
          for (long v : guard) {
            out.writeLong(v);
          }
          out.writeInt(blend.length);
          for (double v : blend) {
            out.writeDouble(v);
          }
          out.writeLong(latestSample);
          out.flush();
        });
  }

  /**
   * Restores {@code compensator} from the saved state, and the event time of the newest sample
   * applied into {@code latestSample[0]}, leaving the file in place.
   *
   * @return false when there is no usable state; the compensator may then be partly changed
   */
  static boolean load(Path directory, FieldCompensator compensator, long[] latestSample) {
    Path file = directory.resolve(FILE);
    if (!Files.exists(file)) {
      return false;
    }
    try (InputStream in = Files.newInputStream(file);
        DataInputStream data = new DataInputStream(new java.io.BufferedInputStream(in))) {
      if (data.readInt() != FORMAT) {
        return false;
      }
      long[] guard = new long[data.readInt()];
      for (int i = 0; i < guard.length; i++) {
        guard[i] = data.readLong();
      }
      double[] blend = new double[data.readInt()];
      for (int i = 0; i < blend.length; i++) {
        blend[i] = data.readDouble();
      }
      long latest = data.readLong();
      compensator.blend().restore(blend);
      compensator.guard().restore(guard);
      latestSample[0] = latest;
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** {@link #load}, then deletes the file, so that only a later clean close recreates it. */
  static boolean consume(Path directory, FieldCompensator compensator, long[] latestSample) {
    boolean loaded = load(directory, compensator, latestSample);
    try {
      Files.deleteIfExists(directory.resolve(FILE));
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot delete " + directory.resolve(FILE), e);
    }
    return loaded;
  }
}
