package io.hindsight.loadtests.harness;

import io.hindsight.HindsightService;
import io.hindsight.StreamsApp;
import io.hindsight.config.HindsightConfig;
import io.hindsight.config.Topic;
import io.hindsight.config.Topics;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.streams.Topology;

/**
 * The baseline: Hindsight's service (same Streams settings, processing guarantee, operations
 * endpoint) running a topology that reads predictions with the same validating serde and writes
 * them unchanged to the compensations topic. {@code PassThroughMain --set key=value ...}; prints
 * {@code http: HOST:PORT} and runs until SIGTERM.
 */
public final class PassThroughMain {
  private PassThroughMain() {}

  public static void main(String[] args) throws InterruptedException {
    Map<String, String> flags = new HashMap<>();
    for (int i = 0; i < args.length; i += 2) {
      if (!args[i].equals("--set")) {
        throw new IllegalArgumentException("Expected --set key=value, got " + args[i]);
      }
      String[] kv = args[i + 1].split("=", 2);
      flags.put(kv[0], kv[1]);
    }
    HindsightConfig config = HindsightConfig.load(null, Map.of(), flags);
    HindsightService service =
        HindsightService.start(
            config,
            (c, registry) -> List.of(new PassThroughApp(Topics.from(c))),
            line -> {
              System.out.println(line);
              System.out.flush();
            });
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  service.close();
                  stopped.countDown();
                },
                "pass-through-shutdown"));
    stopped.await();
  }

  /**
   * Every input read with the same validating serdes as Hindsight and written back unchanged:
   * predictions to the compensations topic (one record each, as Hindsight writes), outcomes and
   * interactions to Hindsight's internal topics, so the broker and the consumer do the same work.
   */
  record PassThroughApp(Topics topics) implements StreamsApp {
    @Override
    public String name() {
      return "pass-through";
    }

    @Override
    public Topology topology() {
      Topology topology = new Topology();
      copy(topology, topics.predictions(), topics.compensations().name());
      copy(topology, topics.outcomes(), topics.labelledSamples().name());
      copy(topology, topics.interactions(), topics.reformulations().name());
      return topology;
    }

    private static <V> void copy(Topology topology, Topic<String, V> from, String to) {
      String source = from.name() + "-source";
      topology.addSource(
          source, from.keySerde().deserializer(), from.valueSerde().deserializer(), from.name());
      topology.addSink(
          from.name() + "-copy",
          to,
          from.keySerde().serializer(),
          from.valueSerde().serializer(),
          source);
    }
  }
}
