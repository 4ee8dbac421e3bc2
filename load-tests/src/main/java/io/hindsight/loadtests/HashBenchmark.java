package io.hindsight.loadtests;

import io.hindsight.memory.SrpHash;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The part of a read or write that is not memory traffic: hashing a key into all K arrays, one key
 * at a time (a read, a write) and a hundred together (a lookup's candidates); both per key.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class HashBenchmark {
  private static final int BATCH = 100;

  @Param({"16", "64"})
  public int arrays;

  @Param({"12"})
  public int bits;

  @Param({"32", "64", "128"})
  public int dimension;

  private SrpHash hash;
  private float[][] keys;
  private int[] buckets;
  private float[][] batch;
  private int[][] batchBuckets;
  private SrpHash.Workspace workspace;
  private int next;

  @Setup
  public void setUp() {
    hash = new SrpHash(arrays, bits, dimension, 1);
    SplittableRandom random = new SplittableRandom(1);
    keys = new float[1024][dimension];
    for (float[] key : keys) {
      for (int i = 0; i < dimension; i++) {
        key[i] = (float) (random.nextDouble() * 2 - 1);
      }
    }
    buckets = new int[arrays];
    batch = new float[BATCH][];
    batchBuckets = new int[BATCH][arrays];
    workspace = hash.newWorkspace();
  }

  @Benchmark
  public int[] buckets() {
    hash.buckets(keys[next++ & 1023], buckets, workspace);
    return buckets;
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public int[][] bucketsOfAHundredTogether() {
    for (int j = 0; j < BATCH; j++) {
      batch[j] = keys[next++ & 1023];
    }
    hash.buckets(batch, BATCH, batchBuckets, workspace);
    return batchBuckets;
  }
}
