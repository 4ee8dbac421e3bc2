package io.hindsight.loadtests;

import io.hindsight.memory.Readout;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Read and write throughput of a full error memory, one thread (the memories are single-threaded),
 * per layout: on-heap array, flat memory-mapped file, Chronicle Map entry per bucket.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {
      "-Xms3g",
      "-Xmx3g",
      ChronicleFlags.OPENS_LANG,
      ChronicleFlags.OPENS_REFLECT,
      ChronicleFlags.EXPORTS_NIO,
      ChronicleFlags.EXPORTS_REF,
      ChronicleFlags.EXPORTS_JAVAC,
      ChronicleFlags.NO_ANALYTICS,
      ChronicleFlags.NO_ANNOUNCER
    })
public class MemoryBenchmark {

  @Param({"onheap", "offheap", "chronicle"})
  public String kind;

  @Param({"16", "64"})
  public int arrays;

  @Param({"12"})
  public int bits;

  @Param({"32", "128"})
  public int dimension;

  private MemoryFixture fixture;

  @Setup(Level.Trial)
  public void fill() {
    fixture = new MemoryFixture(kind, arrays, bits, dimension);
  }

  @TearDown(Level.Trial)
  public void close() {
    fixture.close();
  }

  @Benchmark
  public Readout read() {
    return fixture.read();
  }

  @Benchmark
  public void write() {
    fixture.write();
  }
}
