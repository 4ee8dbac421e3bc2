package io.hindsight.broker;

import io.hindsight.config.HindsightConfig;
import io.hindsight.config.Topic;
import io.hindsight.config.Topics;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates Hindsight's topics when absent (configured partitions, replication, retention; {@code
 * rewrites} compacted; {@code labelled-samples} kept forever) and refuses to start on an existing
 * topic that would break a guarantee.
 */
public final class TopicProvisioner {
  private static final Logger log = LoggerFactory.getLogger(TopicProvisioner.class);

  private static final java.time.Duration METADATA_PROPAGATION = java.time.Duration.ofSeconds(30);

  private final HindsightConfig config;
  private final Topics topics;

  public TopicProvisioner(HindsightConfig config, Topics topics) {
    this.config = config;
    this.topics = topics;
  }

  /**
   * @return the number of partitions of the joined inputs (predictions and outcomes), which is the
   *     number of compensation tasks
   */
  public int provision(Admin admin) {
    try {
      Set<String> existing = admin.listTopics().names().get();
      List<NewTopic> missing = new ArrayList<>();
      for (Topic<?, ?> topic : topics.all()) {
        if (!existing.contains(topic.name())) {
          missing.add(newTopic(topic));
        }
      }
      List<String> created = new ArrayList<>();
      for (Map.Entry<String, KafkaFuture<Void>> creation :
          admin.createTopics(missing).values().entrySet()) {
        try {
          creation.getValue().get();
          created.add(creation.getKey());
        } catch (ExecutionException e) {
          // Another instance of the application, starting at the same moment, created it first;
          // its configuration is checked below like any existing topic's.
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw e;
          }
        }
      }
      if (!created.isEmpty()) {
        log.info("Created topics {}", created);
      }
      return checkCompatibleOnceKnown(admin);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while provisioning topics", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(
          "Cannot provision topics: " + e.getCause().getMessage(), e.getCause());
    }
  }

  private NewTopic newTopic(Topic<?, ?> topic) {
    Map<String, String> topicConfig = new HashMap<>();
    topicConfig.put(
        TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
        Integer.toString(config.getInt(HindsightConfig.TOPIC_MAX_MESSAGE_BYTES)));
    if (topic.equals(topics.rewrites())) {
      topicConfig.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
    } else if (topic.equals(topics.labelledSamples()) || topic.equals(topics.reformulations())) {
      topicConfig.put(TopicConfig.RETENTION_MS_CONFIG, "-1");
    } else {
      topicConfig.put(
          TopicConfig.RETENTION_MS_CONFIG,
          Long.toString(config.getLong(HindsightConfig.TOPIC_RETENTION_MS)));
    }
    // The reformulations log is totally ordered so that every replica decides the same rules.
    int partitions =
        topic.equals(topics.reformulations()) ? 1 : config.getInt(HindsightConfig.TOPIC_PARTITIONS);
    return new NewTopic(
            topic.name(),
            partitions,
            config.getInt(HindsightConfig.TOPIC_REPLICATION_FACTOR).shortValue())
        .configs(topicConfig);
  }

  /**
   * A broker may answer "unknown topic" for a moment after creating it, until its metadata catches
   * up: the check is retried for a while before that answer is believed.
   */
  private int checkCompatibleOnceKnown(Admin admin)
      throws InterruptedException, ExecutionException {
    long deadline = System.nanoTime() + METADATA_PROPAGATION.toNanos();
    while (true) {
      try {
        return checkCompatible(admin);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)
            || System.nanoTime() > deadline) {
          throw e;
        }
        // Admin has no call that waits for metadata to propagate; back off before asking again.
        Thread.sleep(100);
      }
    }
  }

  private int checkCompatible(Admin admin) throws InterruptedException, ExecutionException {
    Map<String, TopicDescription> descriptions =
        admin
            .describeTopics(List.of(topics.predictions().name(), topics.outcomes().name()))
            .allTopicNames()
            .get();
    int predictionPartitions = descriptions.get(topics.predictions().name()).partitions().size();
    int outcomePartitions = descriptions.get(topics.outcomes().name()).partitions().size();
    if (predictionPartitions != outcomePartitions) {
      throw new IllegalStateException(
          "Topics "
              + topics.predictions().name()
              + " ("
              + predictionPartitions
              + " partitions) and "
              + topics.outcomes().name()
              + " ("
              + outcomePartitions
              + ") must have the same number of partitions: outcomes are joined to predictions"
              + " by requestId.");
    }
    ConfigResource rewrites =
        new ConfigResource(ConfigResource.Type.TOPIC, topics.rewrites().name());
    Config rewritesConfig = admin.describeConfigs(List.of(rewrites)).all().get().get(rewrites);
    String policy = rewritesConfig.get(TopicConfig.CLEANUP_POLICY_CONFIG).value();
    if (!policy.contains(TopicConfig.CLEANUP_POLICY_COMPACT)) {
      throw new IllegalStateException(
          "Topic "
              + topics.rewrites().name()
              + " has cleanup.policy="
              + policy
              + "; the rule table needs cleanup.policy=compact.");
    }
    return predictionPartitions;
  }
}
