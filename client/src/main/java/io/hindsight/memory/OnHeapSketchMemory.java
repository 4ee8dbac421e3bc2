package io.hindsight.memory;

/**
 * The sketch in one on-heap {@code long[]}, bucket (k, b) at {@code (k·2^L + b)·stride}; one
 * writer, overlapping reads. Nothing is persisted: after a restart it is rebuilt from the labelled
 * samples.
 */
public final class OnHeapSketchMemory extends SketchMemory {

  private long[] cells;

  public OnHeapSketchMemory(SketchSettings settings) {
    super(settings);
    long size = (long) settings.totalBuckets() * stride;
    // The JVM's largest arrays are a few elements short of Integer.MAX_VALUE.
    if (size > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(
          "an on-heap sketch holds at most 2^31 - 9 longs; K·2^L·stride = " + size);
    }
    this.cells = new long[(int) size];
  }

  @Override
  long[] loadBucket(long index, long[] scratch) {
    return cells;
  }

  @Override
  int bucketOffset(long index) {
    return (int) (index * stride);
  }

  @Override
  void storeBucket(long index, long[] values) {
    System.arraycopy(values, 0, cells, (int) (index * stride), stride);
  }

  @Override
  long prefetch(long[] indices, int count, int longs) {
    long[] c = cells;
    long touched = 0;
    for (int k = 0; k < count; k++) {
      int off = (int) (indices[k] * stride);
      for (int f = 0; f < longs; f += LONGS_PER_LINE) {
        touched += c[off + f];
      }
    }
    return touched;
  }

  @Override
  void release() {
    cells = null;
  }
}
