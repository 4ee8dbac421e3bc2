package io.hindsight.evaluation;

import io.hindsight.memory.ErrorMemory;
import io.hindsight.memory.ExactKnnMemory;
import io.hindsight.memory.LabelledSample;
import io.hindsight.memory.SketchSettings;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * The exact-kNN oracle of an evaluation on a thread of its own, so that its scans overlap the
 * topologies' work. Reads and writes are applied in the order they were submitted, so each read
 * sees exactly the samples written before it, as if it ran inline: the results do not depend on the
 * timing of the two threads. One submitting thread; {@link #results} ends the oracle.
 */
final class BackgroundOracle implements AutoCloseable {
  private static final int BATCH = 1024;
  private static final List<Op> END = List.of();

  private sealed interface Op {}

  private record Read(int ticket, String memory, float[] key, double score, long timestamp)
      implements Op {}

  private record Write(String memory, LabelledSample sample) implements Op {}

  private final IntFunction<SketchSettings> settingsForDimension;
  private final int capacity;
  private final Set<String> written = new HashSet<>();
  private final BlockingQueue<List<Op>> queue = new ArrayBlockingQueue<>(64);
  private final Thread worker;
  private List<Op> batch = new ArrayList<>(BATCH);
  private int tickets;
  private volatile Throwable failure;
  private boolean finished;

  // Owned by the worker until it has been joined.
  private final Map<String, ErrorMemory> memories = new HashMap<>();
  private double[] results = new double[BATCH];

  /**
   * @param settingsForDimension the sketch settings of a memory whose keys have this dimension
   * @param capacity how many recent samples each memory keeps ({@link ExactKnnMemory})
   */
  BackgroundOracle(IntFunction<SketchSettings> settingsForDimension, int capacity) {
    this.settingsForDimension = settingsForDimension;
    this.capacity = capacity;
    this.worker = new Thread(this::work, "hindsight-evaluate-oracle");
    worker.setDaemon(true);
    worker.start();
  }

  /** Whether a sample has been written to this memory, so that a read has something to read. */
  boolean hasMemory(String memory) {
    return written.contains(memory);
  }

  /** Submits a read of a memory that {@link #hasMemory has samples}; returns its ticket. */
  int read(String memory, float[] key, double score, long timestamp) {
    int ticket = tickets++;
    submit(new Read(ticket, memory, key, score, timestamp));
    return ticket;
  }

  void write(String memory, LabelledSample sample) {
    written.add(memory);
    submit(new Write(memory, sample));
  }

  /**
   * Waits for every submitted operation; element {@code t} is the compensated score of ticket t.
   */
  double[] results() {
    if (!finished) {
      finished = true;
      hand(batch);
      hand(END);
      try {
        worker.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("Interrupted waiting for the oracle", e);
      }
      rethrow();
    }
    return Arrays.copyOf(results, tickets);
  }

  private void submit(Op op) {
    batch.add(op);
    if (batch.size() == BATCH) {
      hand(batch);
      batch = new ArrayList<>(BATCH);
    }
  }

  private void hand(List<Op> ops) {
    try {
      while (!queue.offer(ops, 100, TimeUnit.MILLISECONDS)) {
        rethrow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted handing work to the oracle", e);
    }
  }

  private void rethrow() {
    Throwable cause = failure;
    if (cause != null) {
      throw new IllegalStateException("The exact-kNN oracle failed", cause);
    }
  }

  private void work() {
    try {
      for (List<Op> ops = queue.take(); ops != END; ops = queue.take()) {
        for (Op op : ops) {
          apply(op);
        }
      }
    } catch (Throwable e) {
      failure = e;
    }
  }

  private void apply(Op op) {
    if (op instanceof Write write) {
      memories
          .computeIfAbsent(
              write.memory(),
              name ->
                  new ExactKnnMemory(
                      settingsForDimension.apply(write.sample().key().length), capacity))
          .write(write.sample());
    } else if (op instanceof Read read) {
      if (read.ticket() >= results.length) {
        results = Arrays.copyOf(results, Math.max(2 * results.length, read.ticket() + 1));
      }
      results[read.ticket()] =
          memories
              .get(read.memory())
              .read(read.key(), read.score(), read.timestamp())
              .compensatedScore();
    }
  }

  /** Stops the worker if {@link #results} was never called (the evaluation failed). */
  @Override
  public void close() {
    if (!finished) {
      finished = true;
      worker.interrupt();
    }
  }
}
