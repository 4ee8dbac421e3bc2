package io.hindsight.memory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ExternalMapQueryContext;
import net.openhft.chronicle.map.MapEntry;

/**
 * A {@link FieldMemory} in a file-backed Chronicle Map, one entry per value (key the value, entry
 * {@code long[4]}: n, Σr, epoch and a recency tick); one writer, overlapping peeks. Sized from
 * {@code maxValues}.
 *
 * <p><b>Recency.</b> Every use stamps the entry with the next tick of a clock kept in the header,
 * so recency survives a restart. Evicting scans all entries for the {@link
 * FieldMemory#evictionBatch} smallest ticks, once per that many new values: about 16 entry visits
 * per new value, and no on-heap index of the values.
 *
 * <p><b>Recovery.</b> As for {@link ChronicleSketchMemory}: a {@link FieldFileHeader} beside the
 * map ({@code <file>.header}) is marked open, durably, before the map can change and clean after
 * the map is closed. A clean file with the same content layout is reopened as it was ({@link
 * OpenOutcome#RESTORED}). A map left open (crash) is opened with {@code recoverPersistedTo}, which
 * repairs Chronicle's own structures, then cleared and reported as {@link
 * OpenOutcome#DISCARDED_UNCLEAN}, so the caller rebuilds from the topic rather than count a sample
 * twice. (Chronicle Map 2026.1 has no {@code createOrRecoverPersistedTo}; the header decides
 * between create and recover.) Chronicle Map does not force its pages to disk, so the flag covers
 * process crashes, not a machine losing its page cache.
 */
public final class ChronicleFieldMemory extends AbstractFieldMemory {

  /** Bytes Chronicle reserves per key on average; ids are usually shorter. */
  static final double AVERAGE_VALUE_BYTES = 24;

  /** Room for values longer than average before the map refuses an insert. */
  static final double MAX_BLOAT_FACTOR = 4;

  private static final int TICK = CELL;
  private static final int ENTRY = CELL + 1;

  private final Path file;
  private final Path headerFile;
  private final OpenOutcome outcome;
  private final ChronicleMap<String, long[]> map;
  private final long[] entry = new long[ENTRY];
  private final long[] scanned = new long[ENTRY];
  private FieldFileHeader header;
  private long clock;
  private long size;

  private ChronicleFieldMemory(
      Path file,
      Path headerFile,
      FieldMemorySettings settings,
      OpenOutcome outcome,
      ChronicleMap<String, long[]> map,
      FieldFileHeader header) {
    super(settings);
    this.file = file;
    this.headerFile = headerFile;
    this.outcome = outcome;
    this.map = map;
    this.header = header;
    this.samples = header.samples();
    this.evictions = header.evictions();
    this.clock = header.clock();
    this.size = map.longSize();
  }

  /**
   * Opens the Chronicle Map at {@code file} (and its header at {@code <file>.header}), creating
   * them if absent. Unless {@link #openOutcome()} is {@link OpenOutcome#RESTORED} the memory is
   * empty.
   *
   * @throws UncheckedIOException if the files cannot be created or opened
   */
  public static ChronicleFieldMemory open(Path file, FieldMemorySettings settings) {
    Path headerFile = file.resolveSibling(file.getFileName() + ".header");
    try {
      boolean mapExists = Files.exists(file);
      FieldFileHeader found = readHeader(headerFile);
      OpenOutcome outcome;
      if (!mapExists && found == null && !Files.exists(headerFile)) {
        outcome = OpenOutcome.CREATED;
      } else if (!mapExists || found == null || !found.compatible(settings)) {
        outcome = OpenOutcome.DISCARDED_INCOMPATIBLE;
      } else if (!found.clean()) {
        outcome = OpenOutcome.DISCARDED_UNCLEAN;
      } else {
        outcome = OpenOutcome.RESTORED;
      }
      FieldFileHeader header =
          outcome == OpenOutcome.RESTORED
              ? found.withState(false, found.samples(), found.evictions(), found.clock())
              : new FieldFileHeader(settings, false, 0, 0, 0);
      // Marked open, durably, before the map can change.
      writeHeader(headerFile, header);
      ChronicleMap<String, long[]> map;
      switch (outcome) {
        case RESTORED:
          try {
            map = builder(settings).createPersistedTo(file.toFile());
          } catch (IOException | RuntimeException e) {
            // A damaged map behind a clean header: start over rather than trust it.
            Files.deleteIfExists(file);
            map = builder(settings).createPersistedTo(file.toFile());
            outcome = OpenOutcome.DISCARDED_INCOMPATIBLE;
            header = new FieldFileHeader(settings, false, 0, 0, 0);
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
      return new ChronicleFieldMemory(file, headerFile, settings, outcome, map, header);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open Chronicle field memory " + file, e);
    }
  }

  private static net.openhft.chronicle.map.ChronicleMapBuilder<String, long[]> builder(
      FieldMemorySettings settings) {
    return ChronicleMap.of(String.class, long[].class)
        .name("hindsight-field")
        .entries(settings.maxValues())
        .averageKeySize(AVERAGE_VALUE_BYTES)
        .maxBloatFactor(MAX_BLOAT_FACTOR)
        .valueMarshallers(LongArrayMarshaller.INSTANCE, LongArrayMarshaller.INSTANCE)
        .constantValueSizeBySample(new long[ENTRY]);
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
  public long size() {
    checkOpen();
    return size;
  }

  @Override
  boolean load(String value, long[] out, boolean use) {
    if (!use) {
      // Not the writer's scratch entry: lookups may overlap each other.
      long[] values = map.getUsing(value, new long[ENTRY]);
      if (values == null) {
        return false;
      }
      System.arraycopy(values, 0, out, 0, CELL);
      return true;
    }
    try (ExternalMapQueryContext<String, long[], ?> context = map.queryContext(value)) {
      context.updateLock().lock();
      MapEntry<String, long[]> present = context.entry();
      if (present == null) {
        return false;
      }
      long[] values = present.value().getUsing(entry);
      System.arraycopy(values, 0, out, 0, CELL);
      values[TICK] = ++clock;
      context.replaceValue(present, context.wrapValueAsData(values));
      return true;
    }
  }

  @Override
  void store(String value, long[] cell, boolean inserting) {
    if (inserting && size >= maxValues) {
      evictLeastRecentlyUsed();
    }
    System.arraycopy(cell, 0, entry, 0, CELL);
    entry[TICK] = ++clock;
    // A query context replaces the value in place; put() would also deserialize the old value.
    try (ExternalMapQueryContext<String, long[], ?> context = map.queryContext(value)) {
      context.updateLock().lock();
      MapEntry<String, long[]> present = context.entry();
      if (present != null) {
        context.replaceValue(present, context.wrapValueAsData(entry));
      } else {
        context.insert(context.absentEntry(), context.wrapValueAsData(entry));
        size++;
      }
    }
  }

  /** Removes the {@link #evictionBatch} entries with the smallest ticks (ticks are unique). */
  private void evictLeastRecentlyUsed() {
    long[] ticks = new long[(int) Math.min(Integer.MAX_VALUE - 8, size)];
    int[] found = {0};
    map.forEachEntry(
        e -> {
          if (found[0] < ticks.length) {
            ticks[found[0]++] = e.value().getUsing(scanned)[TICK];
          }
        });
    if (found[0] == 0) {
      return;
    }
    Arrays.sort(ticks, 0, found[0]);
    long threshold = ticks[Math.min(evictionBatch, found[0]) - 1];
    List<String> victims = new ArrayList<>(evictionBatch);
    map.forEachEntry(
        e -> {
          if (e.value().getUsing(scanned)[TICK] <= threshold) {
            victims.add(e.key().get());
          }
        });
    for (String victim : victims) {
      if (map.remove(victim) != null) {
        size--;
        evictions++;
      }
    }
  }

  @Override
  void forEachCell(CellVisitor visitor) {
    long[] cell = new long[CELL];
    map.forEachEntry(
        e -> {
          System.arraycopy(e.value().getUsing(scanned), 0, cell, 0, CELL);
          visitor.visit(e.key().get(), cell);
        });
  }

  /** Writes the counters and the clock to the header; the map stays marked as open (not clean). */
  @Override
  public void flush() {
    checkOpen();
    header = header.withState(false, samples, evictions, clock);
    try {
      writeHeader(headerFile, header);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot flush Chronicle field memory " + file, e);
    }
  }

  @Override
  void release() {
    map.close();
    header = header.withState(true, samples, evictions, clock);
    try {
      writeHeader(headerFile, header);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot close Chronicle field memory " + file, e);
    }
  }

  @Override
  void abandonStorage() {
    // Closing the map releases its file lock, as process death would; the header stays "open".
    map.close();
  }

  private static FieldFileHeader readHeader(Path headerFile) throws IOException {
    if (!Files.exists(headerFile)) {
      return null;
    }
    try (FileChannel channel = FileChannel.open(headerFile, StandardOpenOption.READ)) {
      return FieldFileHeader.readFrom(channel);
    }
  }

  private static void writeHeader(Path headerFile, FieldFileHeader header) throws IOException {
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
