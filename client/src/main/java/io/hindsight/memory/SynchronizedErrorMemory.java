package io.hindsight.memory;

/**
 * A thread-safe view of a single-threaded memory: every call holds the view's monitor, so writes
 * and reads from several threads are serialized. Reads do not run in parallel.
 */
final class SynchronizedErrorMemory implements ErrorMemory {

  private final ErrorMemory memory;

  SynchronizedErrorMemory(ErrorMemory memory) {
    this.memory = memory;
  }

  /** The memory behind any synchronized views, so contents compare across views. */
  static ErrorMemory unwrap(ErrorMemory memory) {
    ErrorMemory m = memory;
    while (m instanceof SynchronizedErrorMemory view) {
      m = view.memory;
    }
    return m;
  }

  @Override
  public synchronized SketchSettings settings() {
    return memory.settings();
  }

  @Override
  public synchronized void write(LabelledSample sample) {
    memory.write(sample);
  }

  @Override
  public synchronized Readout read(float[] query, double baseScore, long timestamp) {
    return memory.read(query, baseScore, timestamp);
  }

  @Override
  public synchronized long samples() {
    return memory.samples();
  }

  @Override
  public synchronized long bucketsInUse() {
    return memory.bucketsInUse();
  }

  @Override
  public synchronized long contentHash() {
    return memory.contentHash();
  }

  @Override
  public synchronized boolean sameContents(ErrorMemory other) {
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
