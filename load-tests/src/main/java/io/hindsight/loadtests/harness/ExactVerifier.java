package io.hindsight.loadtests.harness;

import io.hindsight.compensation.Sample;
import io.hindsight.config.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * After traffic stopped and the service drained: checks every committed output against what was
 * sent, after Kafka's streams EOS system test (its {@code EosTestDriver} verifies every output
 * against the input). Every good prediction has exactly one compensation; every closed attribution
 * window produced exactly one labelled sample; every outcome is on its sample (label 1) or in the
 * dead-letter topic; no good record is dead-lettered; every bad record is dead-lettered exactly
 * once. Each problem is counted, a few examples are kept, and each is charged to the last fault
 * injected before its event time, for diagnosis.
 */
final class ExactVerifier {
  private static final int EXAMPLES = 10;
  private static final String REASON = "hindsight.dlq.reason";
  private static final String SOURCE_TOPIC = "hindsight.dlq.topic";

  /** What the generator handed to the producer (predictions are numbered 0..predictions-1). */
  record Sent(long predictions, Set<String> outcomeIds, long bad, long sendFailures) {}

  private final String bootstrap;
  private final Topics topics;
  private final long closeAfterMs;
  private final NavigableMap<Long, String> faultsByTime;
  private final List<String> failures = new ArrayList<>();

  /**
   * @param closeAfterMs event time after a prediction by which its window must have closed, once
   *     the stream has moved that far (the attribution window, its lateness and a margin for tasks
   *     whose last prediction came a little earlier)
   * @param faultsByTime epoch ms of each fault's injection → its label
   */
  ExactVerifier(
      String bootstrap, Topics topics, long closeAfterMs, NavigableMap<Long, String> faultsByTime) {
    this.bootstrap = bootstrap;
    this.topics = topics;
    this.closeAfterMs = closeAfterMs;
    this.faultsByTime = faultsByTime;
  }

  List<String> failures() {
    return failures;
  }

  Map<String, Object> verify(Sent sent) throws InterruptedException {
    Map<String, Object> report = new LinkedHashMap<>();
    int n = Math.toIntExact(sent.predictions());
    long[] timestamps = new long[n];
    int[] compensations = new int[n];
    for (ConsumerRecord<byte[], byte[]> r : read(topics.compensations().name())) {
      int seq = seq(key(r), timestamps);
      if (seq >= 0 && seq < n) {
        compensations[seq]++;
      }
    }
    int[] samples = new int[n];
    double[] labels = new double[n];
    long latestPrediction = 0;
    long sampleRecords = 0;
    for (ConsumerRecord<byte[], byte[]> r : read(topics.labelledSamples().name())) {
      Sample sample = sampleOrNull(r.value());
      if (sample == null || !sample.labelled()) {
        continue;
      }
      sampleRecords++;
      int seq = seq(sample.requestId(), timestamps);
      if (seq >= 0 && seq < n) {
        samples[seq]++;
        labels[seq] = sample.label();
      }
    }
    for (long ts : timestamps) {
      latestPrediction = Math.max(latestPrediction, ts);
    }
    Problems lost = new Problems("predictions without a compensation");
    Problems duplicated = new Problems("predictions with more than one compensation");
    Problems samplesMissing = new Problems("closed windows without a labelled sample");
    Problems samplesDuplicated = new Problems("predictions with more than one labelled sample");
    long windowsClosed = 0;
    for (int seq = 0; seq < n; seq++) {
      String id = "r" + seq + "@" + timestamps[seq];
      if (compensations[seq] == 0) {
        lost.add(id, timestamps[seq], 1);
      } else if (compensations[seq] > 1) {
        duplicated.add(id, timestamps[seq], compensations[seq] - 1);
      }
      boolean closed = timestamps[seq] > 0 && timestamps[seq] + closeAfterMs <= latestPrediction;
      if (closed) {
        windowsClosed++;
      }
      if (samples[seq] > 1) {
        samplesDuplicated.add(id, timestamps[seq], samples[seq] - 1);
      } else if (samples[seq] == 0 && closed) {
        samplesMissing.add(id, timestamps[seq], 1);
      }
    }
    Map<String, Object> compensationCheck = new LinkedHashMap<>();
    compensationCheck.put("good_predictions", n);
    compensationCheck.put("lost", lost.count);
    compensationCheck.put("duplicated", duplicated.count);
    compensationCheck.put("lost_detail", lost.report());
    compensationCheck.put("duplicated_detail", duplicated.report());
    report.put("compensations", compensationCheck);

    Map<String, Object> sampleCheck = new LinkedHashMap<>();
    sampleCheck.put("labelled_sample_records", sampleRecords);
    sampleCheck.put("windows_closed", windowsClosed);
    sampleCheck.put("missing", samplesMissing.count);
    sampleCheck.put("duplicated", samplesDuplicated.count);
    sampleCheck.put("missing_detail", samplesMissing.report());
    sampleCheck.put("duplicated_detail", samplesDuplicated.report());
    report.put("labelled_samples", sampleCheck);

    Map<String, Integer> badSeen = new HashMap<>();
    Map<String, String> goodDeadLetters = new HashMap<>();
    Problems goodInDlq = new Problems("good records in the dead-letter topic");
    Map<String, Long> goodByReason = new TreeMap<>();
    for (ConsumerRecord<byte[], byte[]> r : read(topics.deadLetters().name())) {
      String key = key(r);
      if (key.startsWith("bad-")) {
        badSeen.merge(key, 1, Integer::sum);
        continue;
      }
      String reason = header(r, REASON) + " (" + header(r, SOURCE_TOPIC) + ")";
      goodByReason.merge(reason, 1L, Long::sum);
      goodDeadLetters.put(key, reason);
      goodInDlq.add(key + " " + reason, r.timestamp(), 1);
    }
    Map<String, Object> dlqCheck = new LinkedHashMap<>();
    dlqCheck.put("bad_sent", sent.bad());
    dlqCheck.put("bad_dead_lettered", badSeen.size());
    dlqCheck.put("bad_missing", sent.bad() - badSeen.size());
    dlqCheck.put("bad_duplicated", badSeen.values().stream().mapToInt(c -> c - 1).sum());
    dlqCheck.put("good_dead_lettered", goodInDlq.count);
    dlqCheck.put("good_by_reason", goodByReason);
    dlqCheck.put("good_detail", goodInDlq.report());
    report.put("dlq", dlqCheck);

    long attached = 0;
    long pendingWindow = 0;
    Map<String, Long> outcomeDeadLettered = new TreeMap<>();
    Problems unaccounted = new Problems("outcomes neither on their sample nor dead-lettered");
    for (String id : sent.outcomeIds()) {
      int seq = seq(id, timestamps);
      String reason = goodDeadLetters.get(id);
      if (reason != null) {
        outcomeDeadLettered.merge(reason, 1L, Long::sum);
      } else if (samples[seq] > 0 && labels[seq] >= 0.5) {
        attached++;
      } else if (samples[seq] == 0 && timestamps[seq] + closeAfterMs > latestPrediction) {
        pendingWindow++;
      } else {
        unaccounted.add(id, timestamps[seq], 1);
      }
    }
    Map<String, Object> outcomeCheck = new LinkedHashMap<>();
    outcomeCheck.put("sent", sent.outcomeIds().size());
    outcomeCheck.put("on_their_sample", attached);
    outcomeCheck.put("window_still_open", pendingWindow);
    outcomeCheck.put("dead_lettered", outcomeDeadLettered);
    outcomeCheck.put("unaccounted", unaccounted.count);
    outcomeCheck.put("unaccounted_detail", unaccounted.report());
    report.put("outcomes", outcomeCheck);

    failIf(sent.sendFailures() > 0, sent.sendFailures() + " records the producer gave up on");
    failIf(lost.count > 0, lost.count + " predictions lost");
    failIf(duplicated.count > 0, duplicated.count + " compensations duplicated");
    failIf(samplesMissing.count > 0, samplesMissing.count + " closed windows without a sample");
    failIf(samplesDuplicated.count > 0, samplesDuplicated.count + " labelled samples duplicated");
    failIf(goodInDlq.count > 0, goodInDlq.count + " good records dead-lettered " + goodByReason);
    failIf(sent.bad() != badSeen.size(), (sent.bad() - badSeen.size()) + " bad records missing");
    failIf(
        !badSeen.values().stream().allMatch(c -> c == 1), "bad records dead-lettered twice");
    failIf(unaccounted.count > 0, unaccounted.count + " outcomes unaccounted for");
    return report;
  }

  void failIf(boolean condition, String failure) {
    if (condition) {
      failures.add(failure);
    }
  }

  private List<ConsumerRecord<byte[], byte[]>> read(String topic) throws InterruptedException {
    return CommittedRecords.readAll(bootstrap, topic, Duration.ofMinutes(2));
  }

  /** A prediction's number from its id {@code r<seq>-<intended µs>}, noting its event time. */
  private static int seq(String requestId, long[] timestamps) {
    if (requestId == null || !requestId.startsWith("r")) {
      return -1;
    }
    int dash = requestId.indexOf('-');
    int seq = Integer.parseInt(requestId.substring(1, dash));
    if (timestamps != null && seq < timestamps.length) {
      timestamps[seq] = Long.parseLong(requestId.substring(dash + 1)) / 1000;
    }
    return seq;
  }

  /** A sample, or null for the other records of the topic (a task's progress, late features). */
  private static Sample sampleOrNull(byte[] value) {
    if (value == null || Sample.isLateFeatures(value)) {
      return null;
    }
    try {
      return Sample.decode(value);
    } catch (IllegalArgumentException notASample) {
      return null;
    }
  }

  private static String key(ConsumerRecord<byte[], byte[]> r) {
    return r.key() == null ? "" : new String(r.key(), StandardCharsets.UTF_8);
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null ? "?" : new String(h.value(), StandardCharsets.UTF_8);
  }

  /** One kind of problem: its count, a few examples, and how many follow each fault. */
  private final class Problems {
    final String what;
    long count;
    final List<String> examples = new ArrayList<>();
    final Map<String, Long> afterFault = new TreeMap<>();

    Problems(String what) {
      this.what = what;
    }

    void add(String example, long eventTime, long times) {
      count += times;
      if (examples.size() < EXAMPLES) {
        examples.add(example);
      }
      Map.Entry<Long, String> fault = faultsByTime.floorEntry(eventTime);
      afterFault.merge(fault == null ? "before any fault" : fault.getValue(), times, Long::sum);
    }

    Map<String, Object> report() {
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("what", what);
      r.put("examples", examples);
      r.put("by_last_fault_before_event_time", afterFault);
      return r;
    }
  }
}
