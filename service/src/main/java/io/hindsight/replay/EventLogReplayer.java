package io.hindsight.replay;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hindsight.datasets.EventLogReader;
import io.hindsight.datasets.LogLine;
import io.hindsight.datasets.MalformedEventException;
import io.hindsight.events.EventCodec;
import io.hindsight.events.InvalidEventException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;

/**
 * Replays an event log into an {@link EventSink} in event-time order.
 *
 * <p>Two phases. First the whole log is read, every line validated exactly as Hindsight validates
 * its topics ({@link EventCodec}; on validation threads beside the parsing one) and the valid
 * events sorted by event time, stably (equal timestamps keep log order), through an {@link
 * EventTimeSorter} that spills to disk beyond its memory budget. Then the events are sent, paced by
 * the {@link ReplaySpeed}, and the sink flushed. So every bad line is reported before anything is
 * produced, and in strict mode the first bad line ends the replay with nothing produced.
 *
 * <p>A line is bad when {@link EventLogReader} rejects it, when its type is not one of {@link
 * ReplayedType}, or when Hindsight would send it to the dead-letter topic for a reason visible in
 * the record alone (stateful checks such as the embedding dimension of a model, duplicate or orphan
 * outcomes are not made here). Each event is keyed as the contract says and its value is the line's
 * JSON without {@code type}.
 *
 * <p>One replay per instance at a time; {@link #cancel()} may be called from any thread.
 */
public final class EventLogReplayer {

  /** Lets tests replace the wall clock's waiting. */
  interface Sleeper {
    void sleep(long nanos) throws InterruptedException;
  }

  /** Doubles written by Schubfach: Java 17's Double.toString is slow and embeddings are many. */
  private static final ObjectMapper MAPPER =
      JsonMapper.builder().enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER).build();

  private static final String TYPE = "type";
  private static final long MAX_SLEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  private static final int PROGRESS_EVERY = 1024;
  private static final int BATCH_LINES = 1024;
  private static final String EXPECTED_TYPES =
      Arrays.stream(ReplayedType.values())
          .map(ReplayedType::wireName)
          .collect(Collectors.joining(", "));

  private final EventCodec codec;
  private final ReplaySpeed speed;
  private final boolean strict;
  private final long sortMemoryBytes;
  private final Path spillDirectory;
  private final ReplayProgress progress;
  private final Consumer<MalformedEventException> rejectedLines;
  private final LongSupplier nanoClock;
  private final Sleeper sleeper;
  private final int validationThreads;
  private volatile boolean cancelled;

  private EventLogReplayer(Builder builder) {
    this.codec = builder.codec;
    this.speed = builder.speed;
    this.strict = builder.strict;
    this.sortMemoryBytes = builder.sortMemoryBytes;
    this.spillDirectory = builder.spillDirectory;
    this.progress = builder.progress;
    this.rejectedLines = builder.rejectedLines;
    this.nanoClock = builder.nanoClock;
    this.sleeper = builder.sleeper;
    this.validationThreads = builder.validationThreads;
  }

  /** Starts configuring a replayer that validates with {@code codec}. */
  public static Builder builder(EventCodec codec) {
    return new Builder(codec);
  }

  /**
   * Reads the whole log, then sends its valid events to {@code sink} in event-time order and
   * flushes it. Does not close the reader or the sink.
   *
   * @return counts; {@link ReplaySummary#cancelled()} if {@link #cancel()} stopped it
   * @throws MalformedEventException in strict mode, for the first bad line, before anything is sent
   * @throws IOException if the log or the sort's temporary files cannot be read or written
   * @throws IllegalStateException if the sink could not deliver an event
   */
  public ReplaySummary replay(EventLogReader reader, EventSink sink) throws IOException {
    long readStart = nanoClock.getAsLong();
    Map<ReplayedType, Long> produced = new EnumMap<>(ReplayedType.class);
    try (EventTimeSorter sorter = new EventTimeSorter(sortMemoryBytes, spillDirectory)) {
      long[] lineCounts = read(reader, sorter);
      long linesRead = lineCounts[0];
      long rejected = lineCounts[1];
      Iterator<TimedEvent> events = sorter.sorted();
      long produceStart = nanoClock.getAsLong();
      try {
        if (!cancelled) {
          produce(events, sorter.size(), sorter.maxTimestamp(), sink, produced);
          sink.flush();
        }
      } finally {
        progress.finished();
      }
      long end = nanoClock.getAsLong();
      return new ReplaySummary(
          linesRead,
          rejected,
          produced,
          sorter.spilledRuns(),
          produceStart - readStart,
          end - produceStart,
          cancelled);
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  /** Stops a running replay after the event being sent; what was sent is flushed. */
  public void cancel() {
    cancelled = true;
  }

  /** One line after validation: the event to replay, or why the line is bad. */
  private record CheckedLine(long lineNumber, TimedEvent event, String reason) {}

  /**
   * Reads, validates and sorts the log; returns {lines read, lines rejected}. Lines are parsed on
   * this thread and validated in batches on the validation threads; results are taken in log order,
   * so bad lines are reported in order and strict mode stops at the first one.
   */
  private long[] read(EventLogReader reader, EventTimeSorter sorter) throws IOException {
    ExecutorService pool =
        validationThreads == 0
            ? null
            : Executors.newFixedThreadPool(validationThreads, EventLogReplayer::validationThread);
    Deque<Future<List<CheckedLine>>> inFlight = new ArrayDeque<>();
    long[] counts = new long[2];
    try {
      List<LogLine> batch = new ArrayList<>(BATCH_LINES);
      for (LogLine line : reader) {
        if (cancelled) {
          break;
        }
        batch.add(line);
        if (batch.size() == BATCH_LINES) {
          inFlight.add(submit(pool, batch));
          batch = new ArrayList<>(BATCH_LINES);
          while (inFlight.size() > 2 * Math.max(1, validationThreads)) {
            take(inFlight.poll(), sorter, counts);
          }
        }
      }
      if (!batch.isEmpty() && !cancelled) {
        inFlight.add(submit(pool, batch));
      }
      while (!inFlight.isEmpty() && !cancelled) {
        take(inFlight.poll(), sorter, counts);
      }
    } finally {
      if (pool != null) {
        pool.shutdownNow();
      }
    }
    progress.reading(counts[0], sorter.size(), counts[1]);
    return counts;
  }

  private Future<List<CheckedLine>> submit(ExecutorService pool, List<LogLine> batch) {
    if (pool == null) {
      return CompletableFuture.completedFuture(check(batch));
    }
    return pool.submit(() -> check(batch));
  }

  /** Adds a validated batch to the sorter and reports its bad lines; counts[0] lines, [1] bad. */
  private void take(Future<List<CheckedLine>> pending, EventTimeSorter sorter, long[] counts)
      throws IOException {
    List<CheckedLine> checked;
    try {
      checked = pending.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      cancelled = true;
      return;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new IllegalStateException("validating the log failed", e.getCause());
    }
    for (CheckedLine line : checked) {
      counts[0]++;
      if (line.event() != null) {
        sorter.add(line.event());
        continue;
      }
      counts[1]++;
      MalformedEventException bad = new MalformedEventException(line.lineNumber(), line.reason());
      rejectedLines.accept(bad);
      if (strict) {
        progress.finished();
        throw bad;
      }
    }
    progress.reading(counts[0], sorter.size(), counts[1]);
  }

  private List<CheckedLine> check(List<LogLine> batch) {
    List<CheckedLine> checked = new ArrayList<>(batch.size());
    for (LogLine line : batch) {
      checked.add(line.isError() ? rejected(line, line.error()) : check(line));
    }
    return checked;
  }

  /** Validates one parsed line as Hindsight would validate its topic. */
  private CheckedLine check(LogLine line) {
    ObjectNode event = line.event();
    JsonNode typeField = event.remove(TYPE);
    String typeName = typeField == null ? null : typeField.asText();
    ReplayedType type = ReplayedType.fromWireName(typeName).orElse(null);
    if (type == null) {
      return rejected(line, "unknown type '" + typeName + "' (expected " + EXPECTED_TYPES + ")");
    }
    byte[] value;
    try {
      value = MAPPER.writeValueAsBytes(event);
    } catch (JsonProcessingException e) {
      return rejected(line, "cannot serialize: " + e.getOriginalMessage());
    }
    ReplayedType.KeyedEvent keyed;
    try {
      keyed = type.validate(codec, value);
    } catch (InvalidEventException e) {
      return rejected(line, e.getMessage());
    }
    TimedEvent timed =
        new TimedEvent(
            keyed.timestamp(),
            line.lineNumber(),
            type,
            keyed.key().getBytes(StandardCharsets.UTF_8),
            value);
    return new CheckedLine(line.lineNumber(), timed, null);
  }

  private static CheckedLine rejected(LogLine line, String reason) {
    return new CheckedLine(line.lineNumber(), null, reason);
  }

  private static Thread validationThread(Runnable task) {
    Thread thread = new Thread(task, "replay-validation");
    thread.setDaemon(true);
    return thread;
  }

  private void produce(
      Iterator<TimedEvent> events,
      long total,
      long lastTimestamp,
      EventSink sink,
      Map<ReplayedType, Long> produced) {
    ReplayPacer pacer = new ReplayPacer(speed, nanoClock);
    long[] perType = new long[ReplayedType.values().length];
    long sent = 0;
    progress.producing(0, total, -1);
    try {
      while (events.hasNext() && !cancelled) {
        TimedEvent event = events.next();
        if (!awaitDue(pacer, event.timestamp(), sent, total, lastTimestamp)) {
          break;
        }
        sink.send(event.type(), event.key(), event.value());
        perType[event.type().ordinal()]++;
        sent++;
        if (sent % PROGRESS_EVERY == 0) {
          progress.producing(sent, total, pacer.remainingNanos(lastTimestamp));
        }
      }
      progress.producing(sent, total, pacer.remainingNanos(lastTimestamp));
    } finally {
      for (ReplayedType type : ReplayedType.values()) {
        produced.put(type, perType[type.ordinal()]);
      }
    }
  }

  /** Waits until the event is due; false when cancelled or interrupted meanwhile. */
  private boolean awaitDue(
      ReplayPacer pacer, long timestamp, long sent, long total, long lastTimestamp) {
    long wait;
    while ((wait = pacer.nanosUntilDue(timestamp)) > 0) {
      progress.producing(sent, total, pacer.remainingNanos(lastTimestamp));
      try {
        sleeper.sleep(Math.min(wait, MAX_SLEEP_NANOS));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        cancelled = true;
      }
      if (cancelled) {
        return false;
      }
    }
    return !cancelled;
  }

  /** Configures an {@link EventLogReplayer}; every setting but the codec has a default. */
  public static final class Builder {
    private final EventCodec codec;
    private ReplaySpeed speed = ReplaySpeed.MAX;
    private boolean strict;
    private long sortMemoryBytes = defaultSortMemoryBytes();
    private Path spillDirectory;
    private ReplayProgress progress = ReplayProgress.SILENT;
    private Consumer<MalformedEventException> rejectedLines = line -> {};
    private LongSupplier nanoClock = System::nanoTime;
    private Sleeper sleeper = TimeUnit.NANOSECONDS::sleep;
    private int validationThreads = Math.min(4, Runtime.getRuntime().availableProcessors() - 1);

    private Builder(EventCodec codec) {
      this.codec = Objects.requireNonNull(codec, "codec");
    }

    /** Default {@link ReplaySpeed#MAX}. */
    public Builder speed(ReplaySpeed speed) {
      this.speed = Objects.requireNonNull(speed, "speed");
      return this;
    }

    /** Whether the first bad line ends the replay, nothing produced; default false (skip it). */
    public Builder strict(boolean strict) {
      this.strict = strict;
      return this;
    }

    /**
     * Estimated heap the sort may hold before spilling sorted runs to disk; default a quarter of
     * the maximum heap, at most 512 MiB.
     */
    public Builder sortMemoryBytes(long sortMemoryBytes) {
      if (sortMemoryBytes <= 0) {
        throw new IllegalArgumentException("sort memory must be positive: " + sortMemoryBytes);
      }
      this.sortMemoryBytes = sortMemoryBytes;
      return this;
    }

    /** Where sorted runs are spilled; default the system's temporary directory. */
    public Builder spillDirectory(Path spillDirectory) {
      this.spillDirectory = spillDirectory;
      return this;
    }

    /** Default {@link ReplayProgress#SILENT}. */
    public Builder progress(ReplayProgress progress) {
      this.progress = Objects.requireNonNull(progress, "progress");
      return this;
    }

    /** Told of every bad line, with its line number and reason, as it is read. */
    public Builder onRejectedLine(Consumer<MalformedEventException> rejectedLines) {
      this.rejectedLines = Objects.requireNonNull(rejectedLines, "rejectedLines");
      return this;
    }

    /**
     * Threads validating lines while this thread parses the next ones; 0 validates on the calling
     * thread. Default one less than the processors, at most 4.
     */
    public Builder validationThreads(int validationThreads) {
      if (validationThreads < 0) {
        throw new IllegalArgumentException("validation threads must not be negative");
      }
      this.validationThreads = validationThreads;
      return this;
    }

    Builder clock(LongSupplier nanoClock, Sleeper sleeper) {
      this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
      this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
      return this;
    }

    public EventLogReplayer build() {
      return new EventLogReplayer(this);
    }

    static long defaultSortMemoryBytes() {
      return Math.max(16L << 20, Math.min(512L << 20, Runtime.getRuntime().maxMemory() / 4));
    }
  }
}
