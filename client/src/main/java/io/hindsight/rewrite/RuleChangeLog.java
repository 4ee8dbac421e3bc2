package io.hindsight.rewrite;

import io.hindsight.markov.RuleBook;
import io.hindsight.markov.RuleChange;
import io.hindsight.markov.SnapshotInput;
import io.hindsight.markov.SnapshotOutput;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * A replica's rule changes under their sequence numbers (1, 2, … in decision order). A live replica
 * keeps only each source's latest change: the rewrites topic is compacted by source, so that is all
 * a publisher behind it can still need, and memory and the snapshot grow with the sources ever
 * ruled, not with time (the 10M-turn load run decides rules for some 49,000 sources in 2,000 s, and
 * every change would otherwise be kept for as long as the service runs). An evaluation keeps every
 * change: its report lists them. Deterministic like the decisions, so every replica numbers and
 * keeps the same changes.
 *
 * <p>One thread changes the log; {@link #after} may run on others at the same time, so that the
 * publisher never waits for a decision point to end. It sees the changes in order, possibly only
 * the first of a decision point's, and the rest at its next call: a publisher that continues after
 * the last sequence it saw misses none.
 */
final class RuleChangeLog {
  private final boolean keepEveryChange;
  // Replaced whole, never emptied in place: a reader iterating during a clear could otherwise skip
  // an entry it has not reached yet and see a later one.
  private volatile ConcurrentSkipListMap<Long, ChainReplica.SequencedChange> bySequence =
      new ConcurrentSkipListMap<>();
  private final Map<String, Long> latestOfSource = new HashMap<>();
  private long lastSequence;

  RuleChangeLog(boolean keepEveryChange) {
    this.keepEveryChange = keepEveryChange;
  }

  /** Adds the next change, numbered after the last. */
  void append(long decidedAt, RuleChange change) {
    keep(bySequence, new ChainReplica.SequencedChange(lastSequence + 1, decidedAt, change));
  }

  private void keep(
      ConcurrentSkipListMap<Long, ChainReplica.SequencedChange> into,
      ChainReplica.SequencedChange sequenced) {
    lastSequence = sequenced.sequence();
    // Added before the source's previous change is removed: a reader sees at least one of them.
    into.put(sequenced.sequence(), sequenced);
    if (!keepEveryChange) {
      Long previous = latestOfSource.put(sequenced.change().source(), sequenced.sequence());
      if (previous != null) {
        into.remove(previous);
      }
    }
  }

  /** The changes kept with a sequence number above {@code sequence}, in order. */
  List<ChainReplica.SequencedChange> after(long sequence) {
    return List.copyOf(bySequence.tailMap(sequence, false).values());
  }

  /** Changes kept. */
  int size() {
    return bySequence.size();
  }

  void clear() {
    bySequence = new ConcurrentSkipListMap<>();
    latestOfSource.clear();
    lastSequence = 0;
  }

  void write(SnapshotOutput out) throws IOException {
    out.writeLong(lastSequence);
    out.writeInt(bySequence.size());
    for (ChainReplica.SequencedChange sequenced : bySequence.values()) {
      out.writeLong(sequenced.sequence());
      out.writeLong(sequenced.decidedAt());
      out.writeByte(sequenced.change().type().ordinal());
      out.writeByte(sequenced.change().reason().ordinal());
      RuleBook.writeRule(out, sequenced.change().rule());
    }
  }

  /** Replaces the contents with what {@link #write} wrote. */
  void read(SnapshotInput in) throws IOException {
    clear();
    ConcurrentSkipListMap<Long, ChainReplica.SequencedChange> read = new ConcurrentSkipListMap<>();
    long last = in.readLong();
    if (last < 0) {
      throw new IOException("last rule change " + last);
    }
    RuleChange.Type[] types = RuleChange.Type.values();
    RuleChange.Reason[] reasons = RuleChange.Reason.values();
    for (int i = in.readLength(1, false); i > 0; i--) {
      long sequence = in.readLong();
      long decidedAt = in.readLong();
      int type = in.readByte();
      int reason = in.readByte();
      if (type < 0 || type >= types.length || reason < 0 || reason >= reasons.length) {
        throw new IOException("unknown rule change " + type + "/" + reason);
      }
      if (sequence <= lastSequence || sequence > last) {
        throw new IOException("rule change " + sequence + " out of order");
      }
      keep(
          read,
          new ChainReplica.SequencedChange(
              sequence,
              decidedAt,
              new RuleChange(types[type], RuleBook.readRule(in), reasons[reason])));
    }
    lastSequence = last;
    bySequence = read;
  }
}
