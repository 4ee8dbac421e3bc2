package io.hindsight.memory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import net.openhft.chronicle.hash.Data;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ExternalMapQueryContext;
import net.openhft.chronicle.map.MapEntry;

/**
 * The sketch with one Chronicle Map entry per bucket (key {@code k·2^L + b}, value the bucket's
 * {@code long[stride]}), file-backed; one writer, overlapping reads. It exists to measure what a
 * keyed lookup per bucket costs against {@link OffHeapSketchMemory}'s flat array (design.md,
 * "Performance physics"); absent entries are empty buckets.
 *
 * <p><b>Recovery.</b> Chronicle Map has no clean flag of its own, so a {@link SketchFileHeader}
 * lives beside the map file ({@code <file>.header}); it is marked open before the map is opened for
 * write and clean after the map is closed. A clean file with the same content layout is reopened as
 * it was. A map left open (crash) is opened with {@code recoverPersistedTo}, which repairs
 * Chronicle's own structures, and is then cleared: its contents may hold writes past the caller's
 * checkpoint, so the caller rebuilds from the topic. Chronicle Map does not force its pages to
 * disk, so the clean flag covers process crashes, not a machine losing its page cache.
 */
public final class ChronicleSketchMemory extends SketchMemory {

  private final Path file;
  private final Path headerFile;
  private final OpenOutcome outcome;
  private final ChronicleMap<Long, long[]> map;
  private SketchFileHeader header;

  private ChronicleSketchMemory(
      Path file,
      Path headerFile,
      SketchSettings settings,
      OpenOutcome outcome,
      ChronicleMap<Long, long[]> map,
      SketchFileHeader header) {
    super(settings);
    this.file = file;
    this.headerFile = headerFile;
    this.outcome = outcome;
    this.map = map;
    this.header = header;
    this.samples = header.samples();
    this.bucketsInUse = header.bucketsInUse();
  }

  /**
   * Opens the Chronicle Map at {@code file} (and its header at {@code <file>.header}), creating
   * them if absent. Unless {@link #openOutcome()} is {@link OpenOutcome#RESTORED} the memory is
   * empty.
   *
   * @throws UncheckedIOException if the files cannot be created or opened
   */
  public static ChronicleSketchMemory open(Path file, SketchSettings settings) {
    Path headerFile = file.resolveSibling(file.getFileName() + ".header");
    try {
      boolean mapExists = Files.exists(file);
      SketchFileHeader found = readHeader(headerFile);
      OpenOutcome outcome;
      if (!mapExists && found == null && !Files.exists(headerFile)) {
        outcome = OpenOutcome.CREATED;
      } else if (!mapExists
          || found == null
          || !found.compatible(SketchFileHeader.KIND_CHRONICLE, settings)) {
        outcome = OpenOutcome.DISCARDED_INCOMPATIBLE;
      } else if (!found.clean()) {
        outcome = OpenOutcome.DISCARDED_UNCLEAN;
      } else {
        outcome = OpenOutcome.RESTORED;
      }
      SketchFileHeader header =
          outcome == OpenOutcome.RESTORED
              ? new SketchFileHeader(
                  SketchFileHeader.KIND_CHRONICLE,
                  settings,
                  false,
                  found.samples(),
                  found.bucketsInUse())
              : new SketchFileHeader(SketchFileHeader.KIND_CHRONICLE, settings, false, 0, 0);
      // Marked open, durably, before the map can change.
      writeHeader(headerFile, header);
      ChronicleMap<Long, long[]> map;
      switch (outcome) {
        case RESTORED:
          try {
            map = builder(settings).createPersistedTo(file.toFile());
          } catch (IOException | RuntimeException e) {
            // A damaged map behind a clean header: start over rather than trust it.
            Files.deleteIfExists(file);
            map = builder(settings).createPersistedTo(file.toFile());
            outcome = OpenOutcome.DISCARDED_INCOMPATIBLE;
            header = header.withState(false, 0, 0);
            writeHeader(headerFile, header);
          }
          break;
        case DISCARDED_UNCLEAN:
          map = builder(settings).recoverPersistedTo(file.toFile(), true);
          map.clear();
          break;
        default:
          Files.deleteIfExists(file);
          map = builder(settings).createPersistedTo(file.toFile());
          break;
      }
      return new ChronicleSketchMemory(file, headerFile, settings, outcome, map, header);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open Chronicle sketch " + file, e);
    }
  }

  private static net.openhft.chronicle.map.ChronicleMapBuilder<Long, long[]> builder(
      SketchSettings settings) {
    return ChronicleMap.of(Long.class, long[].class)
        .name("hindsight-sketch")
        // Every bucket can be touched, so the map is sized for all of them.
        .entries(settings.totalBuckets())
        .valueMarshallers(LongArrayMarshaller.INSTANCE, LongArrayMarshaller.INSTANCE)
        .constantValueSizeBySample(new long[stride(settings)]);
  }

  /** The Chronicle Map file. */
  public Path file() {
    return file;
  }

  @Override
  public OpenOutcome openOutcome() {
    return outcome;
  }

  @Override
  long[] loadBucket(long index, long[] scratch) {
    long[] values = map.getUsing(index, scratch);
    if (values == null) {
      Arrays.fill(scratch, 0L);
    } else if (values != scratch) {
      System.arraycopy(values, 0, scratch, 0, stride);
    }
    return scratch;
  }

  @Override
  int bucketOffset(long index) {
    return 0;
  }

  @Override
  void storeBucket(long index, long[] values) {
    // A query context replaces the value in place; put() would also deserialize the old value.
    try (ExternalMapQueryContext<Long, long[], ?> context = map.queryContext(index)) {
      context.updateLock().lock();
      MapEntry<Long, long[]> entry = context.entry();
      Data<long[]> data = context.wrapValueAsData(values);
      if (entry != null) {
        context.replaceValue(entry, data);
      } else {
        context.insert(context.absentEntry(), data);
      }
    }
  }

  @Override
  void forEachBucket(BucketVisitor visitor) {
    long[] scratch = new long[stride];
    map.forEachEntry(
        entry -> {
          long index = entry.key().get();
          long[] values = entry.value().getUsing(scratch);
          visitor.visit(index, values, 0);
        });
  }

  /** Writes the counters to the header; the map stays marked as open (not clean). */
  @Override
  public void flush() {
    checkOpen();
    header = header.withState(false, samples, bucketsInUse);
    try {
      writeHeader(headerFile, header);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot flush Chronicle sketch " + file, e);
    }
  }

  @Override
  void release() {
    map.close();
    header = header.withState(true, samples, bucketsInUse);
    try {
      writeHeader(headerFile, header);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot close Chronicle sketch " + file, e);
    }
  }

  @Override
  void abandonStorage() {
    // Closing the map releases its file lock, as process death would; the header stays "open".
    map.close();
  }

  private static SketchFileHeader readHeader(Path headerFile) throws IOException {
    if (!Files.exists(headerFile)) {
      return null;
    }
    try (FileChannel channel = FileChannel.open(headerFile, StandardOpenOption.READ)) {
      return SketchFileHeader.readFrom(channel);
    }
  }

  private static void writeHeader(Path headerFile, SketchFileHeader header) throws IOException {
    try (FileChannel channel =
        FileChannel.open(
            headerFile,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.READ)) {
      header.writeTo(channel);
      channel.force(true);
    }
  }
}
