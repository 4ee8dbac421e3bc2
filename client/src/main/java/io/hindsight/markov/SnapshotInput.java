package io.hindsight.markov;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * Single-reader. Reads what {@link SnapshotOutput} wrote, through one reused buffer. {@link #open}
 * checks the trailing CRC32C over the whole file first, so that a torn or corrupted file is refused
 * before anything is parsed from it; a length that does not fit what is left is refused too.
 */
public final class SnapshotInput implements AutoCloseable {
  private static final int BUFFER = 1 << 20;

  private final FileChannel channel;
  private final long end;
  private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER);
  private long consumed;

  private SnapshotInput(FileChannel channel, long end) {
    this.channel = channel;
    this.end = end;
    buffer.limit(0);
  }

  /** Opens a snapshot whose checksum matches its contents; IOException naming the cause if not. */
  public static SnapshotInput open(Path file) throws IOException {
    FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
    try {
      long size = channel.size();
      if (size < Long.BYTES) {
        throw new IOException("truncated: " + size + " bytes");
      }
      long end = size - Long.BYTES;
      CRC32C crc = new CRC32C();
      ByteBuffer chunk = ByteBuffer.allocate(BUFFER);
      for (long position = 0; position < end; ) {
        chunk.clear().limit((int) Math.min(BUFFER, end - position));
        int n = channel.read(chunk, position);
        if (n < 0) {
          throw new IOException("truncated at " + position);
        }
        chunk.flip();
        crc.update(chunk);
        position += n;
      }
      ByteBuffer trailer = ByteBuffer.allocate(Long.BYTES);
      while (trailer.hasRemaining()) {
        if (channel.read(trailer, end + trailer.position()) < 0) {
          throw new IOException("truncated checksum");
        }
      }
      if (trailer.getLong(0) != crc.getValue()) {
        throw new IOException("checksum mismatch");
      }
      channel.position(0);
      return new SnapshotInput(channel, end);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  private void need(int bytes) throws IOException {
    if (buffer.remaining() >= bytes) {
      return;
    }
    if (consumed + buffer.position() + bytes > end) {
      throw new IOException("snapshot ends early");
    }
    buffer.compact();
    long fileLeft = end - channel.position();
    buffer.limit((int) Math.min(buffer.capacity(), buffer.position() + fileLeft));
    while (buffer.position() < bytes) {
      if (channel.read(buffer) < 0) {
        throw new IOException("snapshot ends early");
      }
    }
    consumed = channel.position() - buffer.position();
    buffer.flip();
  }

  public int readByte() throws IOException {
    need(1);
    return buffer.get();
  }

  public boolean readBoolean() throws IOException {
    return readByte() != 0;
  }

  public int readInt() throws IOException {
    need(Integer.BYTES);
    return buffer.getInt();
  }

  public long readLong() throws IOException {
    need(Long.BYTES);
    return buffer.getLong();
  }

  public double readDouble() throws IOException {
    need(Double.BYTES);
    return buffer.getDouble();
  }

  public String readString() throws IOException {
    int length = readLength(1, true);
    if (length < 0) {
      return null;
    }
    byte[] bytes = new byte[length];
    for (int from = 0; from < length; ) {
      need(1);
      int n = Math.min(buffer.remaining(), length - from);
      buffer.get(bytes, from, n);
      from += n;
    }
    return new String(bytes, StandardCharsets.UTF_8);
  }

  /** A length prefix of values of {@code width} bytes, refused if the file cannot hold them. */
  public int readLength(int width, boolean nullable) throws IOException {
    int length = readInt();
    if (length < (nullable ? -1 : 0)
        || (long) length * width > end - consumed - buffer.position()) {
      throw new IOException("length " + length + " beyond the snapshot");
    }
    return length;
  }

  public int[] readInts() throws IOException {
    int[] values = new int[readLength(Integer.BYTES, false)];
    for (int i = 0; i < values.length; i++) {
      need(Integer.BYTES);
      values[i] = buffer.getInt();
    }
    return values;
  }

  public double[] readDoubles() throws IOException {
    double[] values = new double[readLength(Double.BYTES, false)];
    for (int i = 0; i < values.length; i++) {
      need(Double.BYTES);
      values[i] = buffer.getDouble();
    }
    return values;
  }

  public long[] readLongs() throws IOException {
    long[] values = new long[readLength(Long.BYTES, false)];
    for (int i = 0; i < values.length; i++) {
      need(Long.BYTES);
      values[i] = buffer.getLong();
    }
    return values;
  }

  /** Whether every byte before the checksum was read. */
  public boolean atEnd() {
    return consumed + buffer.position() == end && !buffer.hasRemaining();
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
