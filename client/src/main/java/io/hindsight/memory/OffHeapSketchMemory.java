package io.hindsight.memory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The sketch as one flat, memory-mapped file of K × 2^L buckets addressed by {@code k·2^L + b}; one
 * writer, overlapping reads. A read touches the head lines of K buckets and no map lookup.
 *
 * <p><b>File.</b> A 4 KiB {@link SketchFileHeader} (magic, format version, settings, seed, clean
 * flag, sample count), then the heads of all buckets (the whole lines a read needs: the counts and
 * the rounded direction), then the rest of every bucket (the exact key sums), little-endian. Reads
 * thus land in a region a fifth of the file's size at d = 64 (32 of 160 MiB at K = 64, L = 12),
 * whose pages, and their page-table entries, are fewer to miss. Each region is mapped in chunks of
 * at most 1 GiB, so the file may exceed 2 GiB.
 *
 * <p><b>Recovery.</b> The file is a cache of Kafka. Opening for write clears the clean flag and
 * forces it to disk before any bucket changes; {@link #close} forces the buckets, then sets the
 * flag. {@link #open} therefore restores a file only if it was closed cleanly with the same content
 * layout ({@link OpenOutcome#RESTORED}); otherwise it reports why, zeroes the file and starts empty
 * so the caller rebuilds from the topic. It never keeps contents that could count a sample twice.
 */
public final class OffHeapSketchMemory extends SketchMemory {

  private static final long CHUNK_BYTES = 1L << 30;

  private final Path file;
  private final FileChannel channel;
  private final OpenOutcome outcome;

  /** Of every bucket, the whole lines a read needs. */
  private final Region heads;

  /** Of every bucket, the rest; empty when the exact sums fit in the head's last line (d ≤ 7). */
  private final Region tails;

  private SketchFileHeader header;

  private OffHeapSketchMemory(
      Path file,
      FileChannel channel,
      SketchSettings settings,
      OpenOutcome outcome,
      SketchFileHeader header)
      throws IOException {
    super(settings);
    this.file = file;
    this.channel = channel;
    this.outcome = outcome;
    this.header = header;
    this.samples = header.samples();
    this.bucketsInUse = header.bucketsInUse();
    long total = totalBuckets();
    // Whole lines, so that no line holds parts of two buckets.
    int headLongs = wholeLines(readLongs);
    this.heads = new Region(headLongs, total, SketchFileHeader.SIZE);
    this.tails =
        new Region(
            stride - headLongs, total, SketchFileHeader.SIZE + total * headLongs * Long.BYTES);
    try {
      heads.map(channel);
      tails.map(channel);
    } catch (IOException | RuntimeException e) {
      unmapAll();
      throw e;
    }
  }

  /**
   * A part of every bucket, {@code longs} per bucket, contiguous in the file and mapped in chunks
   * of at most 1 GiB.
   *
   * <p>Mapped private (copy on write), and its changed pages written to the file only by {@link
   * #writeTo}: the kernel never writes them back by itself. With a shared mapping it did, every few
   * seconds, and the next write to a page written back faulted and waited in the file system (ext4)
   * while the writer held the replica's lock: a labelled sample, whose 64 buckets fall on 64 pages,
   * took 50 µs to apply on tmpfs and up to milliseconds on disk, and the stream thread waited
   * seconds a minute. The file is only a cache of Kafka, made durable on a clean close.
   */
  private static final class Region {
    private static final int PAGE_SHIFT = 12;

    final int longs;
    final long buckets;
    final int chunkShift;
    final long chunkMask;
    final MappedByteBuffer[] chunks;
    final LongBuffer[] views;

    /** Where the region starts in the file. */
    final long offset;

    /** The 4 KiB pages of the region changed since {@link #writeTo}, one bit each. */
    final long[] dirty;

    Region(int longs, long buckets, long offset) {
      this.longs = longs;
      this.buckets = buckets;
      this.offset = offset;
      long chunkBuckets =
          Long.highestOneBit(Math.max(1, CHUNK_BYTES / Math.max(1, (long) longs * Long.BYTES)));
      this.chunkShift = Long.numberOfTrailingZeros(chunkBuckets);
      this.chunkMask = chunkBuckets - 1;
      int count = longs == 0 ? 0 : (int) ((buckets + chunkBuckets - 1) / chunkBuckets);
      this.chunks = new MappedByteBuffer[count];
      this.views = new LongBuffer[count];
      long pages = ((buckets * longs * Long.BYTES) >>> PAGE_SHIFT) + 1;
      this.dirty = new long[(int) ((pages + 63) >>> 6)];
    }

    void map(FileChannel channel) throws IOException {
      long chunkBuckets = chunkMask + 1;
      long bucketBytes = (long) longs * Long.BYTES;
      for (int c = 0; c < chunks.length; c++) {
        long first = c * chunkBuckets;
        long count = Math.min(chunkBuckets, buckets - first);
        chunks[c] =
            channel.map(
                FileChannel.MapMode.PRIVATE, offset + first * bucketBytes, count * bucketBytes);
        chunks[c].order(ByteOrder.LITTLE_ENDIAN);
        views[c] = chunks[c].asLongBuffer();
      }
    }

    LongBuffer view(long index) {
      return views[(int) (index >>> chunkShift)];
    }

    int at(long index) {
      return (int) ((index & chunkMask) * longs);
    }

    /** Copies this region's part of bucket {@code index} into {@code to} from {@code offset}. */
    void load(long index, long[] to, int offset) {
      if (longs > 0) {
        view(index).get(at(index), to, offset, longs);
      }
    }

    /** Replaces this region's part of bucket {@code index} with {@code from[offset..]}. */
    void store(long index, long[] from, int offset) {
      if (longs > 0) {
        view(index).put(at(index), from, offset, longs);
        long first = index * longs * Long.BYTES;
        for (long page = first >>> PAGE_SHIFT;
            page <= (first + (long) longs * Long.BYTES - 1) >>> PAGE_SHIFT;
            page++) {
          dirty[(int) (page >>> 6)] |= 1L << page;
        }
      }
    }

    /** Loads a long of each line of the first {@code longs} of bucket {@code index}. */
    long touch(long index, int longs) {
      LongBuffer view = view(index);
      int at = at(index);
      long touched = 0;
      for (int f = 0; f < longs; f += LONGS_PER_LINE) {
        touched += view.get(at + f);
      }
      return touched;
    }

    /** Writes the pages changed since the last call to the file (not forced to the device). */
    void writeTo(FileChannel channel) throws IOException {
      long size = buckets * longs * Long.BYTES;
      long chunkBytes = (chunkMask + 1) * longs * Long.BYTES;
      for (int w = 0; w < dirty.length; w++) {
        long bits = dirty[w];
        dirty[w] = 0;
        while (bits != 0) {
          long page = ((long) w << 6) + Long.numberOfTrailingZeros(bits);
          bits &= bits - 1;
          long from = page << PAGE_SHIFT;
          long to = Math.min(size, from + (1L << PAGE_SHIFT));
          while (from < to) {
            int c = (int) (from / chunkBytes);
            int within = (int) (from - c * chunkBytes);
            int length = (int) Math.min(to - from, chunkBytes - within);
            ByteBuffer part = chunks[c].duplicate();
            part.limit(within + length).position(within);
            while (part.hasRemaining()) {
              channel.write(part, offset + from + (part.position() - within));
            }
            from += length;
          }
        }
      }
    }

    void unmap() {
      for (int c = 0; c < chunks.length; c++) {
        if (chunks[c] != null) {
          Unmapper.unmap(chunks[c]);
          chunks[c] = null;
          views[c] = null;
        }
      }
    }
  }

  /**
   * Opens the sketch file at {@code file}, creating it if absent. See {@link #openOutcome()} for
   * what was found; unless it is {@link OpenOutcome#RESTORED} the memory is empty.
   *
   * @throws UncheckedIOException if the file cannot be created, read or mapped
   */
  public static OffHeapSketchMemory open(Path file, SketchSettings settings) {
    long size =
        SketchFileHeader.SIZE + (long) settings.totalBuckets() * stride(settings) * Long.BYTES;
    FileChannel channel = null;
    try {
      boolean existed = Files.exists(file);
      channel =
          FileChannel.open(
              file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      // Two writers on one file would corrupt it: the lock fails fast in this and other JVMs,
      // and a dead process's lock disappears with it.
      try {
        if (channel.tryLock() == null) {
          throw new IllegalStateException("sketch file " + file + " is open in another process");
        }
      } catch (OverlappingFileLockException e) {
        throw new IllegalStateException("sketch file " + file + " is already open", e);
      }
      OpenOutcome outcome;
      long samples = 0;
      long bucketsInUse = 0;
      if (!existed) {
        outcome = OpenOutcome.CREATED;
      } else {
        SketchFileHeader found = SketchFileHeader.readFrom(channel);
        if (found == null
            || !found.compatible(SketchFileHeader.KIND_FLAT, settings)
            || channel.size() != size) {
          outcome = OpenOutcome.DISCARDED_INCOMPATIBLE;
        } else if (!found.clean()) {
          outcome = OpenOutcome.DISCARDED_UNCLEAN;
        } else {
          outcome = OpenOutcome.RESTORED;
          samples = found.samples();
          bucketsInUse = found.bucketsInUse();
        }
      }
      if (outcome != OpenOutcome.RESTORED) {
        // Truncating and re-extending zeroes every bucket without writing them (a sparse file).
        channel.truncate(0);
        channel.write(ByteBuffer.allocate(1), size - 1);
      }
      SketchFileHeader header =
          new SketchFileHeader(SketchFileHeader.KIND_FLAT, settings, false, samples, bucketsInUse);
      header.writeTo(channel);
      // The cleared flag must be durable before any bucket can change.
      channel.force(true);
      return new OffHeapSketchMemory(file, channel, settings, outcome, header);
    } catch (IOException e) {
      closeQuietly(channel);
      throw new UncheckedIOException("cannot open sketch file " + file, e);
    } catch (RuntimeException e) {
      closeQuietly(channel);
      throw e;
    }
  }

  /** The file this memory is mapped from. */
  public Path file() {
    return file;
  }

  @Override
  public OpenOutcome openOutcome() {
    return outcome;
  }

  @Override
  long[] loadBucket(long index, long[] scratch) {
    heads.load(index, scratch, 0);
    tails.load(index, scratch, heads.longs);
    return scratch;
  }

  @Override
  long[] loadPrefix(long index, int longs, long[] scratch) {
    if (longs > heads.longs) {
      return loadBucket(index, scratch);
    }
    // Long by long: for a read's few lines that is faster than the bulk copy.
    LongBuffer view = heads.view(index);
    int at = heads.at(index);
    for (int f = 0; f < longs; f++) {
      scratch[f] = view.get(at + f);
    }
    return scratch;
  }

  @Override
  int bucketOffset(long index) {
    return 0;
  }

  @Override
  void storeBucket(long index, long[] values) {
    heads.store(index, values, 0);
    tails.store(index, values, heads.longs);
  }

  @Override
  long prefetch(long[] indices, int count, int longs) {
    long touched = 0;
    int headLongs = Math.min(longs, heads.longs);
    int tailLongs = longs - headLongs;
    for (int k = 0; k < count; k++) {
      touched += heads.touch(indices[k], headLongs);
      if (tailLongs > 0) {
        touched += tails.touch(indices[k], tailLongs);
      }
    }
    return touched;
  }

  /** Forces the buckets and the counters to disk; the file stays marked as open (not clean). */
  @Override
  public void flush() {
    checkOpen();
    try {
      heads.writeTo(channel);
      tails.writeTo(channel);
      header = header.withState(false, samples, bucketsInUse);
      header.writeTo(channel);
      channel.force(true);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot flush sketch file " + file, e);
    }
  }

  @Override
  void release() {
    try {
      heads.writeTo(channel);
      tails.writeTo(channel);
      channel.force(false);
      // Only after the buckets are durable may the file claim to be clean.
      header = header.withState(true, samples, bucketsInUse);
      header.writeTo(channel);
      channel.force(true);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot close sketch file " + file, e);
    } finally {
      unmapAll();
      closeQuietly(channel);
    }
  }

  @Override
  void abandonStorage() {
    // As process death would: mappings and the lock go, the header still says "open".
    unmapAll();
    closeQuietly(channel);
  }

  private void unmapAll() {
    heads.unmap();
    tails.unmap();
  }

  private static void closeQuietly(FileChannel channel) {
    if (channel == null) {
      return;
    }
    try {
      channel.close();
    } catch (IOException ignored) {
      // Nothing more can be done: the memory is already unusable.
    }
  }

  /**
   * Unmaps a buffer now rather than at some later garbage collection, so a closed memory does not
   * keep gigabytes of address space and file pages. Falls back to the collector if the JDK does not
   * offer {@code sun.misc.Unsafe.invokeCleaner}.
   */
  private static final class Unmapper {
    private static final Object UNSAFE;
    private static final Method INVOKE_CLEANER;

    static {
      Object unsafe = null;
      Method invokeCleaner = null;
      try {
        Class<?> type = Class.forName("sun.misc.Unsafe");
        Field field = type.getDeclaredField("theUnsafe");
        field.setAccessible(true);
        unsafe = field.get(null);
        invokeCleaner = type.getMethod("invokeCleaner", ByteBuffer.class);
      } catch (ReflectiveOperationException | RuntimeException e) {
        unsafe = null;
        invokeCleaner = null;
      }
      UNSAFE = unsafe;
      INVOKE_CLEANER = invokeCleaner;
    }

    static void unmap(MappedByteBuffer buffer) {
      if (INVOKE_CLEANER == null) {
        return;
      }
      try {
        INVOKE_CLEANER.invoke(UNSAFE, buffer);
      } catch (ReflectiveOperationException | RuntimeException e) {
        // Left to the garbage collector.
      }
    }
  }
}
