package io.hindsight.memory;

/**
 * The arithmetic of a {@link FieldMemory} over any storage: one writer; {@link #peek}s may overlap
 * each other, never a write or an {@link #estimate}. Subclasses only store, find, order and evict
 * cells; writing, decaying and reading live here so every layout computes bit-identical contents.
 *
 * <p><b>Cell.</b> {@code [n, Σr, epoch]} in the fixed point of {@link FixedPoint} (2^20 units per
 * 1.0): each sample adds {@code round(w·2^20)} to n and {@code round((y − y_base)·w·2^20)} to Σr,
 * where w is its decay weight within its own epoch, exactly as {@link SketchMemory} does for a
 * bucket, so the same order-independence argument and limits apply.
 */
abstract sealed class AbstractFieldMemory implements FieldMemory
    permits OnHeapFieldMemory, ChronicleFieldMemory {

  static final int COUNT = 0;
  static final int RESIDUALS = 1;
  static final int EPOCH = 2;

  /** Longs of content per value. */
  static final int CELL = 3;

  final FieldMemorySettings settings;
  final int maxValues;
  final int evictionBatch;
  private final long halfLifeMs;

  // The writer's scratch space, so writes never allocate; a peek loads into a cell of its own.
  private final long[] loaded = new long[CELL];
  private final long[] next = new long[CELL];

  long samples;
  long evictions;
  private boolean closed;

  AbstractFieldMemory(FieldMemorySettings settings) {
    this.settings = settings;
    this.maxValues = settings.maxValues();
    this.evictionBatch = FieldMemory.evictionBatch(maxValues);
    this.halfLifeMs = settings.halfLifeMs();
  }

  /**
   * Copies the cell of {@code value} into {@code out} (length {@link #CELL}) and returns true, or
   * returns false if the value is absent. When {@code use} is true a present value becomes the most
   * recently used; when false the call may overlap others like it.
   */
  abstract boolean load(String value, long[] out, boolean use);

  /**
   * Stores {@code cell} for {@code value}, which becomes the most recently used. When {@code
   * inserting} (the value is absent) and the memory holds {@code maxValues} values, first evicts
   * the {@link #evictionBatch} least recently used ones and adds them to {@link #evictions}.
   */
  abstract void store(String value, long[] cell, boolean inserting);

  /** Calls {@code visitor} once for every value held, in no particular order. */
  abstract void forEachCell(CellVisitor visitor);

  /** Releases storage; called once, by the first {@link #close}. */
  abstract void release();

  /** Drops the storage as a dying process would; by default leaves it to the garbage collector. */
  void abandonStorage() {}

  interface CellVisitor {
    void visit(String value, long[] cell);
  }

  @Override
  public final FieldMemorySettings settings() {
    return settings;
  }

  @Override
  public final boolean write(String value, double label, double baseScore, long timestamp) {
    return add(value, label, baseScore, timestamp, false);
  }

  @Override
  public final boolean writeLogit(String value, double label, double baseScore, long timestamp) {
    return add(value, label, baseScore, timestamp, true);
  }

  private boolean add(
      String value, double label, double baseScore, long timestamp, boolean logitUnits) {
    checkOpen();
    if (!checkValue(value)) {
      return false;
    }
    if (!(label >= 0 && label <= 1)) {
      throw new IllegalArgumentException(
          "field '" + settings.field() + "': label must be in [0, 1], was " + label);
    }
    if (!(baseScore >= 0 && baseScore <= 1)) {
      throw new IllegalArgumentException(
          "field '" + settings.field() + "': baseScore must be in [0, 1], was " + baseScore);
    }
    if (timestamp < 0) {
      throw new IllegalArgumentException(
          "field '" + settings.field() + "': timestamp must be >= 0, was " + timestamp);
    }
    long sampleEpoch = FixedPoint.epoch(timestamp, halfLifeMs);
    double unit = FixedPoint.unit(timestamp, halfLifeMs);
    // A logit write weighs the sample by the base model's Fisher information q(1 − q).
    long count = Math.round((logitUnits ? baseScore * (1 - baseScore) : 1.0) * unit);
    long residual = Math.round((label - baseScore) * unit);
    boolean present = load(value, loaded, false);
    if (!present) {
      next[COUNT] = count;
      next[RESIDUALS] = residual;
      next[EPOCH] = sampleEpoch;
    } else {
      long cellEpoch = loaded[EPOCH];
      long oldShift = 0;
      long sampleShift = 0;
      if (sampleEpoch > cellEpoch) {
        oldShift = FixedPoint.epochShift(cellEpoch, sampleEpoch);
        next[EPOCH] = sampleEpoch;
      } else {
        sampleShift = FixedPoint.epochShift(sampleEpoch, cellEpoch);
        next[EPOCH] = cellEpoch;
      }
      try {
        next[COUNT] =
            Math.addExact(
                FixedPoint.shiftFloor(loaded[COUNT], oldShift),
                FixedPoint.shiftFloor(count, sampleShift));
        next[RESIDUALS] =
            Math.addExact(
                FixedPoint.shiftFloor(loaded[RESIDUALS], oldShift),
                FixedPoint.shiftFloor(residual, sampleShift));
      } catch (ArithmeticException e) {
        throw new ArithmeticException(
            "field '"
                + settings.field()
                + "' value '"
                + value
                + "' would overflow; the sample was rejected, the memory is unchanged");
      }
    }
    store(value, next, !present);
    samples++;
    return true;
  }

  @Override
  public final FieldEstimate estimate(String value, long timestamp) {
    return read(value, timestamp, true);
  }

  @Override
  public final FieldEstimate peek(String value, long timestamp) {
    return read(value, timestamp, false);
  }

  private FieldEstimate read(String value, long timestamp, boolean use) {
    checkOpen();
    long[] cell = use ? loaded : new long[CELL];
    if (!checkValue(value) || !load(value, cell, use) || cell[COUNT] <= 0) {
      return FieldEstimate.NONE;
    }
    double factor = FixedPoint.decayFactor(cell[EPOCH], timestamp, halfLifeMs);
    double n = cell[COUNT] * factor / FixedPoint.ONE;
    double residuals = cell[RESIDUALS] * factor / FixedPoint.ONE;
    return new FieldEstimate(residuals / (n + settings.priorCount()), n);
  }

  @Override
  public final long samples() {
    checkOpen();
    return samples;
  }

  @Override
  public final long evictions() {
    checkOpen();
    return evictions;
  }

  @Override
  public final long contentHash() {
    checkOpen();
    long[] total = {0};
    // Summed, so the visiting order does not matter.
    forEachCell((value, cell) -> total[0] += cellHash(value, cell));
    return total[0];
  }

  @Override
  public final boolean sameContents(FieldMemory other) {
    checkOpen();
    FieldMemory unwrapped = SynchronizedFieldMemory.unwrap(other);
    if (unwrapped == this) {
      return true;
    }
    if (!(unwrapped instanceof AbstractFieldMemory that)
        || !settings.sameContentLayout(that.settings)
        || size() != that.size()) {
      return false;
    }
    long[] theirs = new long[CELL];
    boolean[] same = {true};
    forEachCell(
        (value, cell) -> {
          if (same[0]
              && !(that.load(value, theirs, false)
                  && theirs[COUNT] == cell[COUNT]
                  && theirs[RESIDUALS] == cell[RESIDUALS]
                  && theirs[EPOCH] == cell[EPOCH])) {
            same[0] = false;
          }
        });
    return same[0];
  }

  @Override
  public final void close() {
    if (closed) {
      return;
    }
    closed = true;
    release();
  }

  @Override
  public final void discard() {
    abandon();
  }

  /**
   * Releases the storage the way a dying process would, without marking anything clean: for crash
   * tests in one JVM.
   */
  final void abandon() {
    if (!closed) {
      closed = true;
      abandonStorage();
    }
  }

  final void checkOpen() {
    if (closed) {
      throw new IllegalStateException(getClass().getSimpleName() + " is closed");
    }
  }

  /** Whether {@code value} is present (not missing); rejects values that are too long. */
  private boolean checkValue(String value) {
    if (value == null || value.isEmpty()) {
      return false;
    }
    if (value.length() > MAX_VALUE_LENGTH) {
      throw new IllegalArgumentException(
          "field '"
              + settings.field()
              + "': a value is at most "
              + MAX_VALUE_LENGTH
              + " characters, was "
              + value.length());
    }
    return true;
  }

  private static long cellHash(String value, long[] cell) {
    long h = 0x243f6a8885a308d3L;
    for (int i = 0; i < value.length(); i++) {
      h = mix(h ^ value.charAt(i));
    }
    h = mix(h ^ value.length());
    for (int f = 0; f < CELL; f++) {
      h = mix(h ^ cell[f]) + f;
    }
    return h;
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
