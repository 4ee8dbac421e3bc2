package io.hindsight.export;

import io.hindsight.events.Rewrite;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The live rules of the compacted {@code rewrites} topic at one moment: the latest value per key,
 * retracted (tombstoned) keys removed.
 *
 * @param rules live rules by key (the normalized source), sorted by key
 * @param recordsRead records read from the topic, tombstones included
 * @param retracted keys whose latest record is a tombstone
 * @param unreadable records whose value was not a valid rule (skipped), with the reason
 */
public record RewriteTable(
    Map<String, Rewrite> rules, long recordsRead, long retracted, List<String> unreadable) {

  public RewriteTable {
    rules = Collections.unmodifiableMap(new TreeMap<>(rules));
    unreadable = List.copyOf(unreadable);
  }
}
