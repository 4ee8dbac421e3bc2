package io.hindsight.loadtests.harness;

import io.hindsight.compensation.ErrorMemoryStore;
import io.hindsight.config.HindsightConfig;
import io.hindsight.config.Topics;
import io.hindsight.events.EventCodec;
import io.hindsight.compensation.CompensationSettings;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Compares stopped instances' error-memory replicas with a memory built from scratch: {@code
 * ReplicaCheckMain BOOTSTRAP SETTINGS_FILE SCRATCH_DIR REPLICA_DIR...} applies every committed
 * labelled-samples record once to a fresh memory, opens each replica from its files, and prints
 * {@code replicas: <json>} (sample counts, equal bucket for bucket, equal fingerprints). A JVM of
 * its own because the memories need the Chronicle flags, which the harness's JVM does not have.
 */
public final class ReplicaCheckMain {
  private static final String FEATURES_PENDING = "hindsight.features.pending";

  private ReplicaCheckMain() {}

  /** Per memory that differs: which of its parts (the sketch, a field memory, blend and guard). */
  private static Map<String, List<String>> differences(
      Map<String, ErrorMemoryStore.Fingerprint> replica,
      Map<String, ErrorMemoryStore.Fingerprint> scratch) {
    Map<String, List<String>> differs = new java.util.TreeMap<>();
    java.util.Set<String> names = new java.util.TreeSet<>(replica.keySet());
    names.addAll(scratch.keySet());
    for (String name : names) {
      ErrorMemoryStore.Fingerprint mine = replica.get(name);
      ErrorMemoryStore.Fingerprint theirs = scratch.get(name);
      List<String> parts = new ArrayList<>();
      if (mine == null || theirs == null) {
        parts.add(mine == null ? "missing in the replica" : "missing in the rebuild");
      } else {
        if (mine.samples() != theirs.samples()) {
          parts.add("samples " + mine.samples() + " vs " + theirs.samples());
        }
        if (mine.contentHash() != theirs.contentHash()) {
          parts.add("sketch");
        }
        for (int f = 0; f < Math.min(mine.fieldHashes().size(), theirs.fieldHashes().size()); f++) {
          if (!mine.fieldHashes().get(f).equals(theirs.fieldHashes().get(f))) {
            parts.add("field " + f);
          }
        }
        if (mine.compensatorHash() != theirs.compensatorHash()) {
          parts.add("blend or guard");
        }
      }
      if (!parts.isEmpty()) {
        differs.put(name, parts);
      }
    }
    return differs;
  }

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    Properties settingsFile = new Properties();
    try (Reader reader = Files.newBufferedReader(Path.of(args[1]))) {
      settingsFile.load(reader);
    }
    Map<String, String> settings = new LinkedHashMap<>();
    settingsFile.forEach((k, v) -> settings.put((String) k, (String) v));
    HindsightConfig config = HindsightConfig.load(null, Map.of(), settings);
    CompensationSettings compensation = CompensationSettings.from(config);
    Map<String, Object> result = new LinkedHashMap<>();
    try (ErrorMemoryStore scratch = new ErrorMemoryStore(compensation)) {
      scratch.open(Path.of(args[2]));
      List<ConsumerRecord<byte[], byte[]>> records =
          CommittedRecords.readAll(
              bootstrap, Topics.from(config).labelledSamples().name(), Duration.ofMinutes(1));
      // Every record, as a replica applies it: samples, the tasks' progress, late features.
      for (ConsumerRecord<byte[], byte[]> r : records) {
        scratch.applyRecord(
            r.partition(),
            r.offset(),
            r.key(),
            r.value(),
            r.timestamp(),
            r.headers().lastHeader(FEATURES_PENDING) != null);
      }
      result.put("labelled_samples_records", records.size());
      result.put("scratch_samples", scratch.samples());
      List<Map<String, Object>> replicas = new ArrayList<>();
      List<Map<String, ErrorMemoryStore.Fingerprint>> fingerprints = new ArrayList<>();
      for (int i = 3; i < args.length; i++) {
        Map<String, Object> replica = new LinkedHashMap<>();
        replica.put("directory", args[i]);
        try (ErrorMemoryStore stored = new ErrorMemoryStore(compensation)) {
          stored.open(Path.of(args[i]));
          replica.put("samples", stored.samples());
          replica.put("equal_to_scratch", stored.sameContents(scratch));
          replica.put("fingerprint_equal", stored.fingerprint().equals(scratch.fingerprint()));
          replica.put("differs_in", differences(stored.fingerprint(), scratch.fingerprint()));
          fingerprints.add(stored.fingerprint());
        }
        replicas.add(replica);
      }
      result.put("replicas", replicas);
      result.put(
          "replicas_identical",
          fingerprints.stream().distinct().count() <= 1
              && replicas.stream().allMatch(r -> Boolean.TRUE.equals(r.get("equal_to_scratch"))));
    }
    System.out.println("replicas: " + EventCodec.JSON.writeValueAsString(result));
    System.out.flush();
    System.exit(0);
  }

  /** The service settings as the check reads them back: a properties file. */
  static void writeSettings(Map<String, String> settings, Path file) throws IOException {
    Properties p = new Properties();
    p.putAll(settings);
    try (var writer = Files.newBufferedWriter(file)) {
      p.store(writer, "service settings of the fault run");
    }
  }
}
