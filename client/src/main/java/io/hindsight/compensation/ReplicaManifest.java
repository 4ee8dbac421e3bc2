package io.hindsight.compensation;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * Which labelled-samples records a memory replica has applied: the last offset per partition, and
 * the record being applied right now. Memory-mapped, so every update is in the page cache the
 * moment it is made and survives the process being killed; {@link #flush()} forces it to disk for
 * machine crashes. A replica whose manifest shows a write in progress was killed mid-write and must
 * be rebuilt. Single-writer.
 */
final class ReplicaManifest implements AutoCloseable {
  private static final int MAGIC = 0x48534d46; // "HSMF"
  private static final int MAX_PARTITIONS = 2000;
  private static final int HEADER = 4 + 4 + 8;
  private static final int SIZE = HEADER + 8 * MAX_PARTITIONS;
  private static final int NONE = -1;

  private final FileChannel channel;
  private final MappedByteBuffer buffer;
  private final boolean existed;

  private ReplicaManifest(FileChannel channel, MappedByteBuffer buffer, boolean existed) {
    this.channel = channel;
    this.buffer = buffer;
    this.existed = existed;
  }

  static ReplicaManifest open(Path file) {
    try {
      boolean existed = Files.exists(file) && Files.size(file) == SIZE;
      FileChannel channel =
          FileChannel.open(
              file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      MappedByteBuffer buffer = channel.map(FileChannel.MapMode.READ_WRITE, 0, SIZE);
      ReplicaManifest manifest = new ReplicaManifest(channel, buffer, existed);
      if (!existed || buffer.getInt(0) != MAGIC) {
        manifest.reset();
      }
      return manifest;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot open replica manifest " + file, e);
    }
  }

  /** True when the file was there before this open (a restart, not a first start). */
  boolean existed() {
    return existed;
  }

  void reset() {
    buffer.putInt(0, MAGIC);
    buffer.putInt(4, NONE);
    buffer.putLong(8, NONE);
    for (int p = 0; p < MAX_PARTITIONS; p++) {
      buffer.putLong(HEADER + 8 * p, NONE);
    }
  }

  /** The record at this partition and offset has been applied already. */
  boolean applied(int partition, long offset) {
    return offset <= lastApplied(partition);
  }

  long lastApplied(int partition) {
    checkPartition(partition);
    return buffer.getLong(HEADER + 8 * partition);
  }

  void beginApply(int partition, long offset) {
    checkPartition(partition);
    buffer.putLong(8, offset);
    buffer.putInt(4, partition);
  }

  void endApply(int partition, long offset) {
    buffer.putLong(HEADER + 8 * partition, offset);
    buffer.putInt(4, NONE);
  }

  /** A write was in progress when the process stopped: the replica is inconsistent. */
  boolean interruptedMidWrite() {
    return buffer.getInt(4) != NONE;
  }

  long[] offsets(int partitions) {
    long[] offsets = new long[partitions];
    Arrays.setAll(offsets, this::lastApplied);
    return offsets;
  }

  void flush() {
    buffer.force();
  }

  private static void checkPartition(int partition) {
    if (partition < 0 || partition >= MAX_PARTITIONS) {
      throw new IllegalArgumentException(
          "labelled-samples partition " + partition + " beyond " + MAX_PARTITIONS);
    }
  }

  @Override
  public void close() {
    try {
      buffer.force();
      channel.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
