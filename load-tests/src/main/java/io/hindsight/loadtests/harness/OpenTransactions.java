package io.hindsight.loadtests.harness;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.common.TopicPartition;

/**
 * What the broker holds open when a run stalls: every transaction its coordinator knows, and every
 * partition (the offsets topic included) where a producer has a transaction open. A partition with
 * an open transaction the coordinator does not know is a hanging transaction: its readers wait for
 * it forever.
 */
final class OpenTransactions {
  private OpenTransactions() {}

  /** Prints them for the broker at {@code args[0]}: for a run that is stalled now. */
  public static void main(String[] args) {
    System.out.println(describe(args[0]));
  }

  static String describe(String bootstrap) {
    List<String> lines = new ArrayList<>();
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      for (TransactionListing t : admin.listTransactions().all().get(20, TimeUnit.SECONDS)) {
        lines.add(
            "coordinator: "
                + t.transactionalId()
                + " producer "
                + t.producerId()
                + " "
                + t.state());
      }
      List<TopicPartition> partitions = new ArrayList<>();
      for (TopicDescription topic :
          admin
              .describeTopics(admin.listTopics(listInternal()).names().get(20, TimeUnit.SECONDS))
              .allTopicNames()
              .get(20, TimeUnit.SECONDS)
              .values()) {
        topic.partitions().forEach(p -> partitions.add(new TopicPartition(topic.name(), p.partition())));
      }
      admin
          .describeProducers(partitions)
          .all()
          .get(20, TimeUnit.SECONDS)
          .forEach(
              (partition, producers) -> {
                for (ProducerState p : producers.activeProducers()) {
                  if (p.currentTransactionStartOffset().isPresent()) {
                    lines.add(
                        "open on "
                            + partition
                            + ": producer "
                            + p.producerId()
                            + " epoch "
                            + p.producerEpoch()
                            + " from offset "
                            + p.currentTransactionStartOffset().getAsLong()
                            + ", last write "
                            + p.lastTimestamp());
                  }
                }
              });
    } catch (Exception e) {
      lines.add("cannot describe transactions: " + e);
    }
    return String.join(System.lineSeparator(), lines);
  }

  private static org.apache.kafka.clients.admin.ListTopicsOptions listInternal() {
    return new org.apache.kafka.clients.admin.ListTopicsOptions().listInternal(true);
  }
}
