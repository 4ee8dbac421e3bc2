package io.hindsight.markov;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * Single-writer. Big-endian primitives and whole arrays through one reused buffer into a stream,
 * with a CRC32C of everything written: the binary layout of a replica's snapshot. Arrays are length
 * prefixed, strings are UTF-8 with a length (-1 for null).
 */
public final class SnapshotOutput {
  private static final int BUFFER = 1 << 20;

  private final OutputStream out;
  private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER);
  private final CRC32C crc = new CRC32C();
  private long written;

  public SnapshotOutput(OutputStream out) {
    this.out = out;
  }

  private void room(int bytes) throws IOException {
    if (buffer.remaining() < bytes) {
      drain();
    }
  }

  private void drain() throws IOException {
    crc.update(buffer.array(), 0, buffer.position());
    out.write(buffer.array(), 0, buffer.position());
    written += buffer.position();
    buffer.clear();
  }

  public void writeByte(int value) throws IOException {
    room(1);
    buffer.put((byte) value);
  }

  public void writeBoolean(boolean value) throws IOException {
    writeByte(value ? 1 : 0);
  }

  public void writeInt(int value) throws IOException {
    room(Integer.BYTES);
    buffer.putInt(value);
  }

  public void writeLong(long value) throws IOException {
    room(Long.BYTES);
    buffer.putLong(value);
  }

  public void writeDouble(double value) throws IOException {
    room(Double.BYTES);
    buffer.putDouble(value);
  }

  public void writeString(String value) throws IOException {
    if (value == null) {
      writeInt(-1);
      return;
    }
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    writeInt(bytes.length);
    for (int from = 0; from < bytes.length; ) {
      room(1);
      int n = Math.min(buffer.remaining(), bytes.length - from);
      buffer.put(bytes, from, n);
      from += n;
    }
  }

  /** The first {@code length} values of {@code values}, length first. */
  public void writeInts(int[] values, int length) throws IOException {
    writeInt(length);
    for (int i = 0; i < length; i++) {
      room(Integer.BYTES);
      buffer.putInt(values[i]);
    }
  }

  public void writeInts(int[] values) throws IOException {
    writeInts(values, values.length);
  }

  public void writeDoubles(double[] values, int length) throws IOException {
    writeInt(length);
    for (int i = 0; i < length; i++) {
      room(Double.BYTES);
      buffer.putDouble(values[i]);
    }
  }

  public void writeDoubles(double[] values) throws IOException {
    writeDoubles(values, values.length);
  }

  public void writeLongs(long[] values, int length) throws IOException {
    writeInt(length);
    for (int i = 0; i < length; i++) {
      room(Long.BYTES);
      buffer.putLong(values[i]);
    }
  }

  /**
   * Writes what is buffered, then the CRC32C of everything before it (not covered by itself), and
   * flushes the stream.
   */
  public void finish() throws IOException {
    drain();
    long checksum = crc.getValue();
    buffer.putLong(checksum);
    out.write(buffer.array(), 0, Long.BYTES);
    written += Long.BYTES;
    buffer.clear();
    out.flush();
  }

  /** Bytes written so far (after {@link #finish}, the file's size). */
  public long written() {
    return written + buffer.position();
  }
}
