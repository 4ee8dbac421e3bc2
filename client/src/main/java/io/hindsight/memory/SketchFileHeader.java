package io.hindsight.memory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;

/**
 * The 4 KiB header of a persisted sketch: magic, format version, the layout kind, the arithmetic
 * constants, the settings, a clean flag and the counters. Little-endian; the bucket area of the
 * flat file starts right after it, page-aligned.
 */
record SketchFileHeader(
    int kind, SketchSettings settings, boolean clean, long samples, long bucketsInUse) {

  static final int SIZE = 4096;

  /** "HSKETCH" and a zero byte, read as a little-endian long. */
  static final long MAGIC = 0x0048435445_4b5348L;

  /**
   * 3: the flat file holds the heads of all buckets (counts and rounded direction), then the rest
   * (2: each bucket whole; 1: counts, then Σh, without the direction).
   */
  static final int FORMAT_VERSION = 3;

  /** The flat memory-mapped array of {@link OffHeapSketchMemory}. */
  static final int KIND_FLAT = 1;

  /** The Chronicle Map of {@link ChronicleSketchMemory}; the header lives beside the map file. */
  static final int KIND_CHRONICLE = 2;

  /** Whether a memory with {@code wanted} settings and {@code wantedKind} can reuse this file. */
  boolean compatible(int wantedKind, SketchSettings wanted) {
    return kind == wantedKind && settings.sameContentLayout(wanted);
  }

  SketchFileHeader withState(boolean clean, long samples, long bucketsInUse) {
    return new SketchFileHeader(kind, settings, clean, samples, bucketsInUse);
  }

  void writeTo(FileChannel channel) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(0, MAGIC);
    b.putInt(8, FORMAT_VERSION);
    b.putInt(12, kind);
    b.putInt(16, clean ? 1 : 0);
    b.putInt(20, FixedPoint.FRACTION_BITS);
    b.putInt(24, FixedPoint.EPOCH_HALF_LIVES);
    b.putInt(28, SrpHash.ALGORITHM_VERSION);
    b.putInt(32, settings.arrays());
    b.putInt(36, settings.bits());
    b.putInt(40, settings.dimension());
    b.putInt(44, SketchMemory.stride(settings));
    b.putLong(48, settings.seed());
    b.putLong(56, settings.halfLifeMs());
    b.putDouble(64, settings.errorThreshold());
    b.putDouble(72, settings.tau());
    b.putDouble(80, settings.lambda());
    b.putDouble(88, settings.gamma());
    b.putDouble(96, settings.nMin());
    b.putLong(104, samples);
    b.putLong(112, bucketsInUse);
    int written = 0;
    while (written < SIZE) {
      written += channel.write(b, written);
    }
  }

  /**
   * Reads a header, or returns null when the channel does not start with one this version
   * understands (wrong magic, version or arithmetic, or invalid settings).
   */
  static SketchFileHeader readFrom(FileChannel channel) throws IOException {
    if (channel.size() < SIZE) {
      return null;
    }
    ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
    int read = 0;
    while (read < SIZE) {
      int n = channel.read(b, read);
      if (n < 0) {
        return null;
      }
      read += n;
    }
    if (b.getLong(0) != MAGIC
        || b.getInt(8) != FORMAT_VERSION
        || b.getInt(20) != FixedPoint.FRACTION_BITS
        || b.getInt(24) != FixedPoint.EPOCH_HALF_LIVES
        || b.getInt(28) != SrpHash.ALGORITHM_VERSION) {
      return null;
    }
    SketchSettings settings;
    try {
      settings =
          new SketchSettings(
              b.getInt(32),
              b.getInt(36),
              b.getInt(40),
              b.getLong(48),
              b.getDouble(72),
              b.getDouble(80),
              b.getDouble(88),
              b.getDouble(96),
              b.getDouble(64),
              b.getLong(56));
    } catch (IllegalArgumentException e) {
      return null;
    }
    if (b.getInt(44) != SketchMemory.stride(settings)) {
      return null;
    }
    return new SketchFileHeader(
        b.getInt(12), settings, b.getInt(16) == 1, b.getLong(104), b.getLong(112));
  }
}
