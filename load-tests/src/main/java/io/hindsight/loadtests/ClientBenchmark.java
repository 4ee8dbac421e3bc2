package io.hindsight.loadtests;

import io.hindsight.client.Candidate;
import io.hindsight.client.Compensated;
import io.hindsight.client.HindsightClient;
import io.hindsight.compensation.ErrorMemoryReplica;
import io.hindsight.compensation.LookupQueries;
import io.hindsight.compensation.CompensationSettings;
import io.hindsight.config.HindsightConfig;
import io.hindsight.events.Prediction;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
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
 * The embeddable client's {@code compensate} of one candidate and of a batch of 100 (d = 64, blend
 * mode), replicated from a real in-process broker; the baseline is the same
 * lookup on the replica that wrote the samples, without the client (its own copy, no Kafka).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(
    value = 1,
    jvmArgsAppend = {
      "-Xms1g",
      "-Xmx1g",
      ChronicleFlags.OPENS_LANG,
      ChronicleFlags.OPENS_REFLECT,
      ChronicleFlags.EXPORTS_NIO,
      ChronicleFlags.EXPORTS_REF,
      ChronicleFlags.EXPORTS_JAVAC,
      ChronicleFlags.NO_ANALYTICS,
      ChronicleFlags.NO_ANNOUNCER
    })
public class ClientBenchmark {
  private static final int CANDIDATES = 4_096;

  /** Labelled samples replicated before the measurement. */
  @Param({"100000"})
  public long samples;

  /**
   * The error memory layout, the service's and the client's alike (their scores are bit-identical
   * only when it is the same): the default file-backed one, or on the heap.
   */
  @Param({"offheap", "onheap"})
  public String store;

  private ClientFixture fixture;
  private HindsightClient client;
  private LookupQueries queries;
  private Candidate[] candidates;
  private List<List<Candidate>> batches;
  private int next;

  @Setup(Level.Trial)
  public void replicate() throws InterruptedException {
    fixture = new ClientFixture(store);
    fixture.produce(samples);
    client =
        HindsightClient.builder()
            .bootstrapServers(fixture.broker.bootstrapServers())
            .set(HindsightConfig.COMPENSATION_MEMORY_STORE, store)
            .rewrites(false)
            .start();
    if (!client.awaitReady(Duration.ofMinutes(5))) {
      throw new IllegalStateException("client not ready");
    }
    queries = new LookupQueries(CompensationSettings.from(fixture.config));
    candidates = new Candidate[CANDIDATES];
    for (int i = 0; i < CANDIDATES; i++) {
      candidates[i] = fixture.candidate();
    }
    batches = new ArrayList<>();
    for (int b = 0; b < CANDIDATES / 100; b++) {
      batches.add(List.of(candidates).subList(b * 100, b * 100 + 100));
    }
  }

  @TearDown(Level.Trial)
  public void close() {
    client.close();
    fixture.close();
  }

  @Benchmark
  public Compensated compensateOne() {
    return client.compensate(
        ClientFixture.MODEL, ClientFixture.VERSION, candidates[next++ & (CANDIDATES - 1)]);
  }

  @Benchmark
  public List<Compensated> compensateBatch100() {
    List<Candidate> batch = batches.get(next++ % batches.size());
    return client.compensate(ClientFixture.MODEL, ClientFixture.VERSION, batch);
  }

  /** Baseline: the writer's replica scores the same candidate directly (no client, no Kafka). */
  @Benchmark
  public List<Optional<ErrorMemoryReplica.Scored>> replicaPeekOne() {
    Candidate c = candidates[next++ & (CANDIDATES - 1)];
    Prediction p =
        new Prediction(
            "lookup",
            ClientFixture.MODEL,
            ClientFixture.VERSION,
            c.timestamp(),
            c.score(),
            c.embedding(),
            null,
            c.userId(),
            c.itemId());
    return fixture.writer.peek(
        ClientFixture.MODEL, ClientFixture.VERSION, queries.of(List.of(p)));
  }
}
