package io.hindsight.memory;

/**
 * A thread-safe view of a single-threaded field memory: every call holds the view's monitor, so
 * writes and reads from several threads are serialized. Reads do not run in parallel.
 */
final class SynchronizedFieldMemory implements FieldMemory {

  private final FieldMemory memory;

  SynchronizedFieldMemory(FieldMemory memory) {
    this.memory = memory;
  }

  /** The memory behind any synchronized views, so contents compare across views. */
  static FieldMemory unwrap(FieldMemory memory) {
    FieldMemory m = memory;
    while (m instanceof SynchronizedFieldMemory view) {
      m = view.memory;
    }
    return m;
  }

  @Override
  public synchronized FieldMemorySettings settings() {
    return memory.settings();
  }

  @Override
  public synchronized boolean write(String value, double label, double baseScore, long timestamp) {
    return memory.write(value, label, baseScore, timestamp);
  }

  @Override
  public synchronized boolean writeLogit(
      String value, double label, double baseScore, long timestamp) {
    return memory.writeLogit(value, label, baseScore, timestamp);
  }

  @Override
  public synchronized FieldEstimate estimate(String value, long timestamp) {
    return memory.estimate(value, timestamp);
  }

  @Override
  public synchronized FieldEstimate peek(String value, long timestamp) {
    return memory.peek(value, timestamp);
  }

  @Override
  public synchronized long size() {
    return memory.size();
  }

  @Override
  public synchronized long samples() {
    return memory.samples();
  }

  @Override
  public synchronized long evictions() {
    return memory.evictions();
  }

  @Override
  public synchronized long contentHash() {
    return memory.contentHash();
  }

  @Override
  public synchronized boolean sameContents(FieldMemory other) {
    return memory.sameContents(unwrap(other));
  }

  @Override
  public synchronized OpenOutcome openOutcome() {
    return memory.openOutcome();
  }

  @Override
  public synchronized void flush() {
    memory.flush();
  }

  @Override
  public synchronized void close() {
    memory.close();
  }

  @Override
  public synchronized void discard() {
    memory.discard();
  }
}
