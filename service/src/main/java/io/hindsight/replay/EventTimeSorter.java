package io.hindsight.replay;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.PriorityQueue;
import java.util.stream.Stream;

/**
 * Sorts any number of events by {@link TimedEvent#EVENT_TIME_ORDER} within a memory budget: events
 * are buffered until the budget is reached, then the buffer is sorted and spilled to a temporary
 * file as a run, and {@link #sorted()} merges the runs. A log that fits the budget never touches
 * the disk. Disk use is about the size of the events' values. Single use, not thread-safe; {@link
 * #close()} deletes the temporary files.
 */
public final class EventTimeSorter implements Closeable {
  private static final int IO_BUFFER_BYTES = 1 << 16;
  private static final ReplayedType[] TYPES = ReplayedType.values();

  private final long memoryBudgetBytes;
  private final Path spillParent;
  private final List<Path> runs = new ArrayList<>();
  private final List<Closeable> openReaders = new ArrayList<>();
  private List<TimedEvent> buffer = new ArrayList<>();
  private long bufferedBytes;
  private long size;
  private long minTimestamp = Long.MAX_VALUE;
  private long maxTimestamp = Long.MIN_VALUE;
  private Path spillDirectory;
  private boolean sortedHandedOut;

  /**
   * @param memoryBudgetBytes estimated heap the buffered events may take before a run is spilled
   * @param spillParent where the temporary directory for runs is created (null: the system's
   *     temporary directory)
   */
  public EventTimeSorter(long memoryBudgetBytes, Path spillParent) {
    if (memoryBudgetBytes <= 0) {
      throw new IllegalArgumentException("memory budget must be positive: " + memoryBudgetBytes);
    }
    this.memoryBudgetBytes = memoryBudgetBytes;
    this.spillParent = spillParent;
  }

  /** Adds an event; may spill the buffer to disk. */
  public void add(TimedEvent event) throws IOException {
    if (sortedHandedOut) {
      throw new IllegalStateException("events cannot be added after sorted()");
    }
    buffer.add(event);
    bufferedBytes += event.estimatedBytes();
    size++;
    minTimestamp = Math.min(minTimestamp, event.timestamp());
    maxTimestamp = Math.max(maxTimestamp, event.timestamp());
    if (bufferedBytes >= memoryBudgetBytes) {
      spill();
    }
  }

  /** Number of events added. */
  public long size() {
    return size;
  }

  /** Earliest event time added; {@link Long#MAX_VALUE} when empty. */
  public long minTimestamp() {
    return minTimestamp;
  }

  /** Latest event time added; {@link Long#MIN_VALUE} when empty. */
  public long maxTimestamp() {
    return maxTimestamp;
  }

  /** Number of sorted runs written to disk so far. */
  public int spilledRuns() {
    return runs.size();
  }

  /**
   * All events added, in event-time order (stable). May be called once; an I/O failure while
   * merging surfaces as an {@link UncheckedIOException}.
   */
  public Iterator<TimedEvent> sorted() throws IOException {
    if (sortedHandedOut) {
      throw new IllegalStateException("sorted() may be called once");
    }
    sortedHandedOut = true;
    if (runs.isEmpty()) {
      buffer.sort(TimedEvent.EVENT_TIME_ORDER);
      List<TimedEvent> events = buffer;
      buffer = List.of();
      return events.iterator();
    }
    if (!buffer.isEmpty()) {
      spill();
    }
    buffer = List.of();
    return merge();
  }

  private void spill() throws IOException {
    buffer.sort(TimedEvent.EVENT_TIME_ORDER);
    if (spillDirectory == null) {
      spillDirectory =
          spillParent == null
              ? Files.createTempDirectory("hindsight-replay-")
              : Files.createTempDirectory(
                  Files.createDirectories(spillParent), "hindsight-replay-");
    }
    Path run = spillDirectory.resolve("run-" + runs.size());
    try (DataOutputStream out =
        new DataOutputStream(
            new BufferedOutputStream(Files.newOutputStream(run), IO_BUFFER_BYTES))) {
      for (TimedEvent event : buffer) {
        out.writeLong(event.timestamp());
        out.writeLong(event.sequence());
        out.writeByte(event.type().ordinal());
        out.writeInt(event.key().length);
        out.write(event.key());
        out.writeInt(event.value().length);
        out.write(event.value());
      }
    }
    runs.add(run);
    buffer = new ArrayList<>();
    bufferedBytes = 0;
  }

  private Iterator<TimedEvent> merge() throws IOException {
    PriorityQueue<RunReader> heads =
        new PriorityQueue<>(
            Math.max(1, runs.size()),
            (a, b) -> TimedEvent.EVENT_TIME_ORDER.compare(a.head, b.head));
    for (Path run : runs) {
      RunReader reader = new RunReader(run);
      openReaders.add(reader);
      if (reader.advance()) {
        heads.add(reader);
      }
    }
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return !heads.isEmpty();
      }

      @Override
      public TimedEvent next() {
        RunReader reader = heads.poll();
        if (reader == null) {
          throw new NoSuchElementException();
        }
        TimedEvent event = reader.head;
        try {
          if (reader.advance()) {
            heads.add(reader);
          }
        } catch (IOException e) {
          throw new UncheckedIOException("reading a sorted run " + reader.path, e);
        }
        return event;
      }
    };
  }

  /** Deletes the runs. Idempotent. */
  @Override
  public void close() throws IOException {
    for (Closeable reader : openReaders) {
      reader.close();
    }
    openReaders.clear();
    buffer = List.of();
    if (spillDirectory != null) {
      try (Stream<Path> files = Files.list(spillDirectory)) {
        for (Path file : files.toList()) {
          Files.deleteIfExists(file);
        }
      }
      Files.deleteIfExists(spillDirectory);
      spillDirectory = null;
    }
    runs.clear();
  }

  /** Reads one run, holding its next event. */
  private static final class RunReader implements Closeable {
    private final Path path;
    private final DataInputStream in;
    private TimedEvent head;

    RunReader(Path path) throws IOException {
      this.path = path;
      this.in =
          new DataInputStream(new BufferedInputStream(Files.newInputStream(path), IO_BUFFER_BYTES));
    }

    /** Reads the next event into {@link #head}; false (and closed) at the end of the run. */
    boolean advance() throws IOException {
      long timestamp;
      try {
        timestamp = in.readLong();
      } catch (EOFException end) {
        head = null;
        in.close();
        return false;
      }
      long sequence = in.readLong();
      ReplayedType type = TYPES[in.readByte()];
      byte[] key = new byte[in.readInt()];
      in.readFully(key);
      byte[] value = new byte[in.readInt()];
      in.readFully(value);
      head = new TimedEvent(timestamp, sequence, type, key, value);
      return true;
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
