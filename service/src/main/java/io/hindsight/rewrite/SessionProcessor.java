package io.hindsight.rewrite;

import io.hindsight.events.Interaction;
import io.hindsight.events.Rewrite;
import io.hindsight.markov.RewriteRule;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
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
  static final String PUBLISHED_STORE = "rewrite-published";
  private static final String PUBLISHED_KEY = "sequence";

  /**
   * How often partition 0's task publishes new rule changes: a map lookup when there are none, so
   * often enough that publishing adds little to a rule's freshness.
   */
  static final Duration PUBLISH_INTERVAL = Duration.ofMillis(100);

  private final RewriteLoopSettings settings;
  private final SessionAnalyzer analyzer;
  private ProcessorContext<Object, Object> context;
  private KeyValueStore<String, byte[]> sessions;
  private KeyValueStore<String, Long> published;
  private RewriteReplica replica;

  /** A RocksDB index of close times cost a put, a delete and an iterator per turn. */
  private final SessionCloses closes = new SessionCloses();

  SessionProcessor(RewriteLoopSettings settings) {
    this.settings = settings;
    this.analyzer = new SessionAnalyzer(settings.rephraseGapMs());
  }

  @Override
  public void init(ProcessorContext<Object, Object> context) {
    this.context = context;
    sessions = context.getStateStore(SESSIONS_STORE);
    published = context.getStateStore(PUBLISHED_STORE);
    replica = context.getStateStore(RewriteReplica.NAME);
    rebuildIndex();
    if (context.taskId().partition() == 0) {
      context.schedule(PUBLISH_INTERVAL, PunctuationType.WALL_CLOCK_TIME, now -> publishRules());
    }
  }

  /** The close-time index holds exactly the restored sessions. */
  private void rebuildIndex() {
    closes.clear();
    try (KeyValueIterator<String, byte[]> it = sessions.all()) {
      while (it.hasNext()) {
        KeyValue<String, byte[]> session = it.next();
        long closeAt =
            SessionTurns.lastTimestamp(session.key, session.value) + settings.sessionGapMs();
        closes.add(closeAt, session.key);
      }
    }
  }

  @Override
  public void process(Record<String, Interaction> record) {
    // Sessions close as soon as stream time passes their last turn plus the gap, before this turn
    // is added: the same rule live, in evaluate and in replay, whatever the traffic's rate.
    closeIdleSessions(context.currentStreamTimeMs());
    Interaction turn = record.value();
    String user = turn.userId();
    byte[] stored = sessions.get(user);
    if (stored != null) {
      long last = SessionTurns.lastTimestamp(user, stored);
      closes.remove(last + settings.sessionGapMs(), user);
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
    closes.add(SessionTurns.lastTimestamp(user, stored) + settings.sessionGapMs(), user);
  }

  /**
   * Closes the sessions whose last turn is more than the gap before {@code streamTime} (a turn
   * exactly the gap after the last still joins the session), in the order they became due.
   */
  private void closeIdleSessions(long streamTime) {
    for (String user = closes.pollBefore(streamTime);
        user != null;
        user = closes.pollBefore(streamTime)) {
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
