package io.hindsight.rewrite;

import io.hindsight.DerivedIndex;
import io.hindsight.events.Interaction;
import io.hindsight.events.Rewrite;
import io.hindsight.markov.RewriteRule;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Groups each user's turns into sessions by an event-time inactivity gap, and when a session ends
 * appends its chains and treatments to the reformulations log. The task of partition 0 also
 * publishes the replica's rule changes to the compacted rewrites topic, exactly once: the last
 * published change is kept in a changelogged store.
 */
final class SessionProcessor implements Processor<String, Interaction, Object, Object> {
  static final String SESSIONS_STORE = "rewrite-sessions";
  static final String SESSION_INDEX_STORE = "rewrite-session-index";
  static final String PUBLISHED_STORE = "rewrite-published";
  private static final String PUBLISHED_KEY = "sequence";

  /**
   * How often partition 0's task publishes new rule changes: a lock and a list copy when there are
   * none, so often enough that publishing adds little to a rule's freshness.
   */
  static final Duration PUBLISH_INTERVAL = Duration.ofMillis(100);

  private final RewriteLoopSettings settings;
  private final SessionAnalyzer analyzer;
  private ProcessorContext<Object, Object> context;
  private KeyValueStore<String, byte[]> sessions;
  private KeyValueStore<Bytes, byte[]> index;
  private KeyValueStore<String, Long> published;
  private RewriteReplica replica;

  /** Index entries before this were closed already: scanning starts here, not over tombstones. */
  private long closedUntil;

  /**
   * No session closes before this (a lower bound on the index's earliest entry), so a turn looks at
   * the index only when a session is due: no scan of open sessions per turn or per tick.
   */
  private long earliestClose = Long.MAX_VALUE;

  SessionProcessor(RewriteLoopSettings settings) {
    this.settings = settings;
    this.analyzer = new SessionAnalyzer(settings.rephraseGapMs());
  }

  @Override
  public void init(ProcessorContext<Object, Object> context) {
    this.context = context;
    sessions = context.getStateStore(SESSIONS_STORE);
    index = context.getStateStore(SESSION_INDEX_STORE);
    published = context.getStateStore(PUBLISHED_STORE);
    replica = context.getStateStore(RewriteReplica.NAME);
    rebuildIndex();
    if (context.taskId().partition() == 0) {
      context.schedule(PUBLISH_INTERVAL, PunctuationType.WALL_CLOCK_TIME, now -> publishRules());
    }
  }

  /**
   * The close-time index is derived from the sessions, so it has no changelog: rebuilt here, it
   * holds exactly the restored sessions whatever the local index kept (or lost) across a crash.
   */
  private void rebuildIndex() {
    DerivedIndex.clear(index);
    try (KeyValueIterator<String, byte[]> it = sessions.all()) {
      while (it.hasNext()) {
        KeyValue<String, byte[]> session = it.next();
        long closeAt =
            SessionTurns.lastTimestamp(session.key, session.value) + settings.sessionGapMs();
        index.put(DerivedIndex.key(closeAt, session.key), DerivedIndex.NOTHING);
        earliestClose = Math.min(earliestClose, closeAt);
      }
    }
  }

  @Override
  public void process(Record<String, Interaction> record) {
    // Sessions close as soon as stream time passes their last turn plus the gap, before this turn
    // is added: the same rule live, in evaluate and in replay, whatever the traffic's rate.
    long streamTime = context.currentStreamTimeMs();
    if (streamTime > earliestClose) {
      closeIdleSessions(streamTime);
    }
    Interaction turn = record.value();
    String user = turn.userId();
    byte[] stored = sessions.get(user);
    if (stored != null) {
      long last = SessionTurns.lastTimestamp(user, stored);
      index.delete(DerivedIndex.key(last + settings.sessionGapMs(), user));
      if (turn.timestamp() - last > settings.sessionGapMs()) {
        emit(user, SessionTurns.decode(user, stored));
        stored = null;
      }
    }
    stored = SessionTurns.append(user, stored, turn);
    if (SessionTurns.count(stored) >= RewriteLoopSettings.MAX_TURNS_PER_SESSION) {
      emit(user, SessionTurns.decode(user, stored));
      sessions.delete(user);
      return;
    }
    sessions.put(user, stored);
    long closeAt = SessionTurns.lastTimestamp(user, stored) + settings.sessionGapMs();
    index.put(DerivedIndex.key(closeAt, user), DerivedIndex.NOTHING);
    closedUntil = Math.min(closedUntil, closeAt); // an out-of-order turn may close in the past
    earliestClose = Math.min(earliestClose, closeAt);
  }

  /**
   * Closes the sessions whose last turn is more than the gap before {@code streamTime} (a turn
   * exactly the gap after the last still joins the session), in the order they became due.
   */
  private void closeIdleSessions(long streamTime) {
    List<KeyValue<Bytes, byte[]>> due = new ArrayList<>();
    earliestClose = Long.MAX_VALUE;
    try (KeyValueIterator<Bytes, byte[]> it =
        index.range(DerivedIndex.key(closedUntil, ""), null)) {
      while (it.hasNext()) {
        KeyValue<Bytes, byte[]> entry = it.next();
        long closeAt = DerivedIndex.time(entry.key);
        if (closeAt >= streamTime) {
          earliestClose = closeAt;
          break;
        }
        due.add(entry);
      }
    }
    closedUntil = Math.max(closedUntil, streamTime);
    for (KeyValue<Bytes, byte[]> entry : due) {
      index.delete(entry.key);
      String user = DerivedIndex.id(entry.key);
      byte[] stored = sessions.get(user);
      if (stored != null) {
        emit(user, SessionTurns.decode(user, stored));
        sessions.delete(user);
      }
    }
  }

  private void emit(String user, List<Interaction> turns) {
    for (Reformulation entry : analyzer.analyze(user, turns)) {
      context.forward(
          new Record<Object, Object>(
              user.getBytes(StandardCharsets.UTF_8), entry.encode(), entry.timestamp()),
          RewriteTopology.REFORMULATIONS_SINK);
    }
  }

  private void publishRules() {
    Long last = published.get(PUBLISHED_KEY);
    long sequence = last == null ? 0 : last;
    List<RewriteReplica.SequencedChange> changes = replica.changesAfter(sequence);
    for (RewriteReplica.SequencedChange sequenced : changes) {
      RewriteRule rule = sequenced.change().rule();
      Rewrite value =
          sequenced.change().isTombstone()
              ? null
              : new Rewrite(
                  rule.source(),
                  rule.target(),
                  rule.confidence(),
                  rule.sourceSuccess(),
                  rule.targetSuccess(),
                  rule.support(),
                  rule.version(),
                  rule.updatedAt());
      context.forward(
          new Record<Object, Object>(rule.source(), value, sequenced.decidedAt()),
          RewriteTopology.REWRITES_SINK);
      sequence = sequenced.sequence();
    }
    if (!changes.isEmpty()) {
      published.put(PUBLISHED_KEY, sequence);
    }
  }
}
