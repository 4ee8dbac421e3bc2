package io.hindsight.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.config.HindsightConfig;
import io.hindsight.config.Topic;
import io.hindsight.config.Topics;
import io.hindsight.testing.KafkaBroker;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Instances of one application that start at the same moment all find their topics. */
class TopicProvisionerIT {
  @RegisterExtension static final KafkaBroker kafka = new KafkaBroker();

  private static final int INSTANCES = 4;

  @Test
  void shouldProvisionTopicsWhenInstancesStartAtTheSameMoment() throws Exception {
    HindsightConfig config =
        HindsightConfig.load(
            null,
            Map.of(),
            Map.of(
                HindsightConfig.BOOTSTRAP_SERVERS,
                kafka.bootstrapServers(),
                HindsightConfig.TOPIC_PREFIX,
                "together."));
    Topics topics = Topics.from(config);
    Map<String, Object> admin =
        Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    CountDownLatch go = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(INSTANCES);
    try {
      List<Future<Void>> starts = new ArrayList<>();
      for (int i = 0; i < INSTANCES; i++) {
        Callable<Void> start =
            () -> {
              try (Admin client = Admin.create(admin)) {
                client.listTopics().names().get(); // connected before the race starts
                go.await();
                new TopicProvisioner(config, topics).provision(client);
              }
              return null;
            };
        starts.add(pool.submit(start));
      }
      go.countDown();
      for (Future<Void> start : starts) {
        start.get(); // each instance provisioned without an error
      }
    } finally {
      pool.shutdownNow();
    }
    try (Admin client = Admin.create(admin)) {
      assertThat(client.listTopics().names().get())
          .containsAll(topics.all().stream().map(Topic::name).toList());
    }
  }
}
