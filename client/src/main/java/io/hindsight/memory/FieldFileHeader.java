package io.hindsight.memory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;

/**
 * The 1 KiB header beside a persisted {@link ChronicleFieldMemory}: magic, format version, the
 * arithmetic constants, the settings (with the field name), a clean flag, the counters and the
 * recency clock. Little-endian. The clean flag sits at byte 16, as in {@link SketchFileHeader}.
 */
record FieldFileHeader(
    FieldMemorySettings settings, boolean clean, long samples, long evictions, long clock) {

  static final int SIZE = 1024;

  /** "HFIELDS" and a zero byte, read as a little-endian long. */
  static final long MAGIC = 0x0053444c454946_48L;

  static final int FORMAT_VERSION = 1;

  /** Offset of the clean flag, an int: 1 when the map was closed cleanly. */
  static final int CLEAN_OFFSET = 16;

  private static final int FIELD_OFFSET = 80;

  /** Whether a memory with {@code wanted} settings can reuse this file. */
  boolean compatible(FieldMemorySettings wanted) {
    return settings.sameContentLayout(wanted);
  }

  FieldFileHeader withState(boolean clean, long samples, long evictions, long clock) {
    return new FieldFileHeader(settings, clean, samples, evictions, clock);
  }

  void writeTo(FileChannel channel) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
    byte[] field = settings.field().getBytes(StandardCharsets.UTF_8);
    b.putLong(0, MAGIC);
    b.putInt(8, FORMAT_VERSION);
    b.putInt(CLEAN_OFFSET, clean ? 1 : 0);
    b.putInt(20, FixedPoint.FRACTION_BITS);
    b.putInt(24, FixedPoint.EPOCH_HALF_LIVES);
    b.putInt(28, settings.maxValues());
    b.putLong(32, settings.halfLifeMs());
    b.putDouble(40, settings.priorCount());
    b.putLong(48, samples);
    b.putLong(56, evictions);
    b.putLong(64, clock);
    b.putInt(72, field.length);
    b.put(FIELD_OFFSET, field);
    int written = 0;
    while (written < SIZE) {
      written += channel.write(b, written);
    }
  }

  /**
   * Reads a header, or returns null when the channel does not start with one this version
   * understands (wrong magic, version or arithmetic, or invalid settings).
   */
  static FieldFileHeader readFrom(FileChannel channel) throws IOException {
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
    int fieldLength = b.getInt(72);
    if (b.getLong(0) != MAGIC
        || b.getInt(8) != FORMAT_VERSION
        || b.getInt(20) != FixedPoint.FRACTION_BITS
        || b.getInt(24) != FixedPoint.EPOCH_HALF_LIVES
        || fieldLength < 1
        || fieldLength > SIZE - FIELD_OFFSET) {
      return null;
    }
    byte[] field = new byte[fieldLength];
    b.get(FIELD_OFFSET, field);
    FieldMemorySettings settings;
    try {
      settings =
          new FieldMemorySettings(
              new String(field, StandardCharsets.UTF_8),
              b.getDouble(40),
              b.getLong(32),
              b.getInt(28));
    } catch (IllegalArgumentException e) {
      return null;
    }
    return new FieldFileHeader(
        settings, b.getInt(CLEAN_OFFSET) == 1, b.getLong(48), b.getLong(56), b.getLong(64));
  }
}
