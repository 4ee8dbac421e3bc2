package io.hindsight.loadtests;

import io.hindsight.client.HindsightClient;
import io.hindsight.config.Topics;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * How long a fresh {@link HindsightClient} takes to become ready from a labelled-samples topic of N
 * samples (d = 64, blend features) on a real in-process broker, beside the baseline of reading the
 * same topic to its end with a plain consumer of the same settings (fetching without applying).
 *
 * <p>{@code java <chronicle flags> -cp target/benchmarks.jar io.hindsight.loadtests.ClientCatchUp
 * [samples=1000000]}
 */
public final class ClientCatchUp {
  private ClientCatchUp() {}

  public static void main(String[] args) throws Exception {
    long samples = args.length > 0 ? Long.parseLong(args[0]) : 1_000_000L;
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    try (ClientFixture fixture = new ClientFixture()) {
      long t0 = System.nanoTime();
      fixture.produce(samples);
      System.out.printf("produced %,d samples in %.1f s%n", samples, seconds(t0));

      long r0 = System.nanoTime();
      long c0 = threads.getCurrentThreadCpuTime();
      long read = readToEnd(fixture);
      double readSeconds = seconds(r0);
      double readCpu = (threads.getCurrentThreadCpuTime() - c0) / 1e9;
      System.out.printf(
          "baseline: plain consumer read %,d records to the end in %.2f s (%.2f s CPU)%n",
          read, readSeconds, readCpu);

      long s0 = System.nanoTime();
      try (HindsightClient client =
          HindsightClient.builder()
              .bootstrapServers(fixture.broker.bootstrapServers())
              .rewrites(false)
              .start()) {
        if (!client.awaitReady(Duration.ofMinutes(30))) {
          throw new IllegalStateException("not ready after 30 minutes");
        }
        double ready = seconds(s0);
        long applierCpu = applierCpu(threads);
        System.out.printf(
            "client: ready after %.2f s (applier thread %.2f s CPU), %,d samples, %,.0f samples/s;"
                + " %.2f x the plain read's wall time%n",
            ready, applierCpu / 1e9, client.samples(), samples / ready, ready / readSeconds);
      }
    }
    System.out.printf(
        "load average: %s%n",
        Arrays.toString(
            new double[] {ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()}));
  }

  private static long readToEnd(ClientFixture fixture) {
    Map<String, Object> settings = new HashMap<>();
    settings.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, fixture.broker.bootstrapServers());
    settings.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    settings.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    settings.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000);
    String topic = Topics.from(fixture.config).labelledSamples().name();
    long records = 0;
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(settings, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic).stream()
              .map(p -> new TopicPartition(topic, p.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        records += consumer.poll(Duration.ofMillis(100)).count();
      }
    }
    return records;
  }

  /** CPU time of the client's applier thread, found by its name. */
  private static long applierCpu(ThreadMXBean threads) {
    for (Thread thread : Thread.getAllStackTraces().keySet()) {
      if (thread.getName().equals("hindsight-client-applier")) {
        return threads.getThreadCpuTime(thread.getId());
      }
    }
    return -1;
  }

  private static double seconds(long since) {
    return (System.nanoTime() - since) / 1e9;
  }
}
