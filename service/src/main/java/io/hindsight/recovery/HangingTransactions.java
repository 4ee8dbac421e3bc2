package io.hindsight.recovery;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.AbortTransactionSpec;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.internals.Topic;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds and aborts transactions that the cluster will never finish, on the partitions Hindsight
 * reads and writes. A broker killed at the wrong moment can keep a partition's transaction open
 * after its coordinator has forgotten it (the coordinator still shows the producer, but idle, or
 * not at all). Nothing ends such a transaction by itself: a read_committed reader of the partition
 * waits at it forever, and pending offsets on the offsets topic make every committed-offset fetch
 * of the group time out, so a task can never start. Kafka's own remedy is an operator running
 * {@code kafka-transactions.sh find-hanging} and {@code abort}; this is the same check, run without
 * one.
 *
 * <p>A transaction is hanging when it is open on a partition at the same start offset in two
 * passes, and neither time does its coordinator list that partition in the producer's transaction.
 * Two passes because one could race a transaction ending between the two questions; a live
 * transaction does not stay open at one offset across a whole check interval without its
 * coordinator knowing. Not thread-safe: one thread runs the passes.
 */
public final class HangingTransactions {
  private static final Logger log = LoggerFactory.getLogger(HangingTransactions.class);
  public static final String METRIC = "hindsight.recovery.hanging.transactions.aborted";
  private static final long TIMEOUT_S = 30;

  private final Admin admin;
  private final Predicate<String> watched;
  private final Collection<String> groupIds;
  private final Counter aborted;

  /** Open transactions the coordinator did not know at the last pass. */
  private Set<OpenTransaction> suspects = Set.of();

  private record OpenTransaction(
      TopicPartition partition, long producerId, int epoch, long start) {}

  /**
   * @param watched the topics whose partitions to watch
   * @param groupIds the consumer groups whose offsets-topic partitions to watch
   */
  public HangingTransactions(
      Admin admin, Predicate<String> watched, Collection<String> groupIds, MeterRegistry registry) {
    this.admin = admin;
    this.watched = watched;
    this.groupIds = List.copyOf(groupIds);
    this.aborted =
        Counter.builder(METRIC)
            .description("Transactions that the cluster would never have finished, aborted")
            .register(registry);
  }

  /** One pass: aborts what the last pass suspected and this one confirms. */
  public int check() throws InterruptedException {
    try {
      Map<TopicPartition, List<ProducerState>> open = openTransactions(watchedPartitions());
      Map<OpenTransaction, ProducerState> unknown = unknownToCoordinators(open);
      int count = 0;
      for (Map.Entry<OpenTransaction, ProducerState> t : unknown.entrySet()) {
        if (suspects.contains(t.getKey())) {
          abort(t.getKey(), t.getValue());
          count++;
        }
      }
      suspects = unknown.keySet();
      return count;
    } catch (ExecutionException | TimeoutException e) {
      log.debug("Cannot check for hanging transactions now: {}", e.toString());
      return 0;
    }
  }

  private List<TopicPartition> watchedPartitions()
      throws ExecutionException, InterruptedException, TimeoutException {
    List<String> present =
        new ArrayList<>(
            admin.listTopics().names().get(TIMEOUT_S, TimeUnit.SECONDS).stream()
                .filter(watched)
                .toList());
    present.add(Topic.GROUP_METADATA_TOPIC_NAME);
    List<TopicPartition> partitions = new ArrayList<>();
    Map<String, TopicDescription> described =
        admin.describeTopics(present).allTopicNames().get(TIMEOUT_S, TimeUnit.SECONDS);
    described.forEach(
        (name, description) -> {
          int count = description.partitions().size();
          if (name.equals(Topic.GROUP_METADATA_TOPIC_NAME)) {
            // The group coordinator's own mapping of a group to its offsets partition.
            groupIds.forEach(
                group ->
                    partitions.add(new TopicPartition(name, Utils.abs(group.hashCode()) % count)));
          } else {
            for (int p = 0; p < count; p++) {
              partitions.add(new TopicPartition(name, p));
            }
          }
        });
    return partitions;
  }

  private Map<TopicPartition, List<ProducerState>> openTransactions(List<TopicPartition> partitions)
      throws ExecutionException, InterruptedException, TimeoutException {
    Map<TopicPartition, List<ProducerState>> open = new HashMap<>();
    admin
        .describeProducers(partitions)
        .all()
        .get(TIMEOUT_S, TimeUnit.SECONDS)
        .forEach(
            (partition, state) -> {
              List<ProducerState> inTransaction =
                  state.activeProducers().stream()
                      .filter(p -> p.currentTransactionStartOffset().isPresent())
                      .toList();
              if (!inTransaction.isEmpty()) {
                open.put(partition, inTransaction);
              }
            });
    return open;
  }

  /** The open transactions whose coordinator does not list their partition. */
  private Map<OpenTransaction, ProducerState> unknownToCoordinators(
      Map<TopicPartition, List<ProducerState>> open)
      throws ExecutionException, InterruptedException, TimeoutException {
    if (open.isEmpty()) {
      return Map.of();
    }
    Map<Long, String> transactionalIds = new HashMap<>();
    for (TransactionListing listing :
        admin.listTransactions().all().get(TIMEOUT_S, TimeUnit.SECONDS)) {
      transactionalIds.put(listing.producerId(), listing.transactionalId());
    }
    Map<String, TransactionDescription> descriptions = new HashMap<>();
    if (!transactionalIds.isEmpty()) {
      admin
          .describeTransactions(transactionalIds.values())
          .all()
          .get(TIMEOUT_S, TimeUnit.SECONDS)
          .forEach(descriptions::put);
    }
    Map<OpenTransaction, ProducerState> unknown = new HashMap<>();
    open.forEach(
        (partition, producers) -> {
          for (ProducerState p : producers) {
            TransactionDescription d = descriptions.get(transactionalIds.get(p.producerId()));
            boolean known =
                d != null
                    && d.producerId() == p.producerId()
                    && d.topicPartitions().contains(partition);
            if (!known) {
              unknown.put(
                  new OpenTransaction(
                      partition,
                      p.producerId(),
                      p.producerEpoch(),
                      p.currentTransactionStartOffset().getAsLong()),
                  p);
            }
          }
        });
    return unknown;
  }

  private void abort(OpenTransaction t, ProducerState producer)
      throws ExecutionException, InterruptedException, TimeoutException {
    admin
        .abortTransaction(
            new AbortTransactionSpec(
                t.partition(),
                t.producerId(),
                (short) t.epoch(),
                producer.coordinatorEpoch().orElse(0)))
        .all()
        .get(TIMEOUT_S, TimeUnit.SECONDS);
    aborted.increment();
    log.warn(
        "Aborted a hanging transaction on {} (producer {}, epoch {}, open since offset {}): its"
            + " coordinator no longer knew it, and its readers were waiting for it",
        t.partition(),
        t.producerId(),
        t.epoch(),
        t.start());
  }
}
