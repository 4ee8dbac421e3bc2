package io.hindsight.loadtests;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.hindsight.events.EventCodec;
import io.hindsight.events.Prediction;
import java.io.IOException;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Decoding one prediction as the compensation topology receives it ({@link EventCodec#prediction})
 * against the floor under any JSON decode of it, in the same run: tokenizing the record and
 * converting its numbers, with nothing built or checked.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CodecBenchmark {
  private static final long NOW = 1_700_000_000_000L;
  private static final int MAX_RECORD_BYTES = 1 << 20;

  @Param({"64"})
  public int dimension;

  private final EventCodec codec = new EventCodec(MAX_RECORD_BYTES, 60_000, () -> NOW);
  private byte[][] records;
  private int next;

  /** 1024 distinct records, each written by the service's own encoder and read back. */
  @Setup
  public void setUp() {
    SplittableRandom random = new SplittableRandom(1);
    records = new byte[1024][];
    for (int r = 0; r < records.length; r++) {
      float[] embedding = new float[dimension];
      for (int i = 0; i < dimension; i++) {
        embedding[i] = (float) random.nextGaussian();
      }
      Prediction prediction =
          new Prediction(
              "req-" + Long.toHexString(random.nextLong()),
              "ranker",
              "2026-11-01",
              NOW - random.nextInt(60_000),
              random.nextDouble(),
              embedding,
              null,
              "user-" + random.nextInt(1_000_000),
              "item-" + random.nextInt(100_000));
      records[r] = EventCodec.encode(prediction);
      if (!Arrays.equals(codec.prediction(records[r]).embedding(), embedding)) {
        throw new IllegalStateException("record " + r + " does not read back");
      }
    }
  }

  @Benchmark
  public Prediction decode() {
    return codec.prediction(records[next++ & 1023]);
  }

  @Benchmark
  public double tokenFloor() throws IOException {
    double sum = 0;
    try (JsonParser parser = EventCodec.JSON.createParser(records[next++ & 1023])) {
      for (JsonToken token = parser.nextToken(); token != null; token = parser.nextToken()) {
        if (token.isNumeric()) {
          sum += parser.getDoubleValue();
        } else if (token == JsonToken.VALUE_STRING) {
          sum += parser.getText().length();
        }
      }
    }
    return sum;
  }
}
