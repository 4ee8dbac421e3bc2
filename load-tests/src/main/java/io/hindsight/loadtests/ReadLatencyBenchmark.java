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

/** Read latency percentiles at the design point K = 64, L = 12, d = 64, memory full. */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
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
public class ReadLatencyBenchmark {

  @Param({"onheap", "offheap", "chronicle"})
  public String kind;

  private MemoryFixture fixture;

  @Setup(Level.Trial)
  public void fill() {
    fixture = new MemoryFixture(kind, 64, 12, 64);
  }

  @TearDown(Level.Trial)
  public void close() {
    fixture.close();
  }

  @Benchmark
  public Readout read() {
    return fixture.read();
  }
}
