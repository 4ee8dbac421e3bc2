package io.hindsight.loadtests;

import io.hindsight.events.EventCodec;
import io.hindsight.events.Interaction;
import io.hindsight.rewrite.Reformulation;
import java.io.IOException;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A reformulations-log entry in its binary layout against the JSON it replaced, written and read,
 * in the same run; and reading an interaction (a JSON tree, checked) beside them for scale: one of
 * each per turn.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RewriteCodecBenchmark {
  private static final long NOW = 1_700_000_000_000L;

  private final EventCodec codec = new EventCodec(1 << 20, 60_000, () -> NOW);
  private byte[][] interactions;
  private Reformulation[] entries;
  private byte[][] binary;
  private byte[][] json;
  private int next;

  /** 1024 turns and log entries shaped like the large-vocabulary log's. */
  @Setup
  public void setUp() {
    SplittableRandom random = new SplittableRandom(1);
    interactions = new byte[1024][];
    entries = new Reformulation[1024];
    binary = new byte[1024][];
    json = new byte[1024][];
    for (int i = 0; i < 1024; i++) {
      String user = "u" + random.nextInt(100_000) + "-" + random.nextInt(32);
      String utterance = "play the song number " + random.nextInt(100_000) + " by the band";
      interactions[i] =
          EventCodec.encode(
              new Interaction(user, NOW - random.nextInt(60_000), utterance, null, null, null, null));
      entries[i] =
          Reformulation.chain(
              user, NOW, List.of(utterance, "play song " + random.nextInt(1000)), i % 3 != 0);
      binary[i] = entries[i].encode();
      json[i] = EventCodec.encode(entries[i]);
    }
  }

  @Benchmark
  public Interaction interaction() {
    return codec.interaction(interactions[next++ & 1023]);
  }

  @Benchmark
  public byte[] reformulationEncodeBinary() {
    return entries[next++ & 1023].encode();
  }

  @Benchmark
  public byte[] reformulationEncodeJson() {
    return EventCodec.encode(entries[next++ & 1023]);
  }

  @Benchmark
  public Reformulation reformulationDecodeBinary() {
    return Reformulation.decode(binary[next++ & 1023]);
  }

  @Benchmark
  public Reformulation reformulationDecodeJson() throws IOException {
    return EventCodec.JSON.readValue(json[next++ & 1023], Reformulation.class);
  }
}
