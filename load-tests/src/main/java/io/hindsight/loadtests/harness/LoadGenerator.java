package io.hindsight.loadtests.harness;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hindsight.config.Topics;
import io.hindsight.events.EventCodec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Sends a scenario's traffic open loop: every event has an intended send time fixed in advance by
 * the rate, whatever the system answers. When the generator falls behind (a full producer buffer, a
 * descheduled thread) it catches up at once and keeps the intended times, so the latency the
 * observer measures from them charges the system for the wait. Not thread-safe: one thread calls
 * {@link #run}; the counters may be read from any thread.
 *
 * <p>Keys carry what the observer needs: a prediction's key is {@code r<seq>-<intended µs>}, a bad
 * record's {@code bad-<n>}, a freshness probe's {@code probe-<n>-<role>}.
 */
final class LoadGenerator {
  static final String PROBE_MODEL = "probe";
  private static final int EMBEDDING_POOL = 1024;
  private static final long REPHRASE_AFTER_MS = 1000;
  private static final long PROBE_QUERY_EVERY_MS = 20;
  private static final long PROBE_GIVE_UP_MS = 30_000;
  private static final int ORDINARY_INTENTS = 1000;
  private static final String[] BAD_KINDS = {
    "predictions/malformed-json",
    "predictions/score-out-of-range",
    "predictions/missing-field",
    "predictions/invalid-utf8",
    "predictions/timestamp-negative",
    "outcomes/label-out-of-range",
    "interactions/empty-utterance"
  };

  private final Scenario scenario;
  private final Topics topics;
  private final Producer<byte[], byte[]> producer;
  private final LoadClock clock;
  private final Probes probes;
  private final SplittableRandom random;

  /** Apart from {@link #random}, so that probe timing leaves the traffic's draws unchanged. */
  private final SplittableRandom probeTiming;

  private final String[][] embeddings;
  private final PriorityQueue<Scheduled> scheduled = new PriorityQueue<>();
  private long scheduleOrder;

  final AtomicLong predictions = new AtomicLong();
  final AtomicLong outcomes = new AtomicLong();
  final AtomicLong turns = new AtomicLong();
  final AtomicLong bad = new AtomicLong();
  final AtomicLong maxLagMicros = new AtomicLong();

  /** Records the producer gave up on: with any, what reached the topics is not what was sent. */
  final AtomicLong sendFailures = new AtomicLong();

  /** Request ids of the outcomes sent (the fault verifier accounts for each). */
  final Set<String> outcomeIds = ConcurrentHashMap.newKeySet();

  private volatile long stopAtNanos = Long.MAX_VALUE;
  final ConcurrentMap<String, LongAdder> badByKind = new ConcurrentHashMap<>();

  /** The large-vocabulary sessions, when the scenario has them. */
  final VocabularyReplay vocabulary;

  /** Turns of the large-vocabulary sessions sent. */
  final AtomicLong vocabularyTurns = new AtomicLong();

  /** Normalized failing utterance → its intact chains, in sending order. */
  private final ConcurrentMap<String, List<RuleEvidence.IntactChain>> intactChains =
      new ConcurrentHashMap<>();

  /** The event times of each harness user's turns, in sending order (the freshness sessions). */
  private final ConcurrentMap<Integer, List<Long>> turnTimes = new ConcurrentHashMap<>();

  LoadGenerator(
      Scenario scenario,
      Topics topics,
      Producer<byte[], byte[]> producer,
      LoadClock clock,
      Probes probes,
      long seed) {
    this.scenario = scenario;
    this.topics = topics;
    this.producer = producer;
    this.clock = clock;
    this.probes = probes;
    this.random = new SplittableRandom(seed);
    this.probeTiming = new SplittableRandom(seed + 1);
    this.vocabulary =
        scenario.vocabulary() == null
            ? null
            : VocabularyReplay.load(scenario.vocabulary(), scenario.sessionGapMs());
    this.embeddings = new String[scenario.models()][EMBEDDING_POOL];
    for (String[] pool : embeddings) {
      for (int i = 0; i < pool.length; i++) {
        pool[i] = embeddingJson(random, scenario.dimension());
      }
    }
  }

  /**
   * Sends {@code shape}'s traffic from {@code startNanos} for its duration (its rate may differ
   * from the scenario's: the saturation search steps it) and returns when the last event is handed
   * to the producer. Events scheduled past the end (late outcomes, rephrases) are not sent.
   */
  void run(Scenario shape, long startNanos, Window window, boolean withProbes) {
    long planned = startNanos + shape.durationS() * 1_000_000_000L;
    long nextPrediction = startNanos;
    long nextSession = shape.hasInteractions() ? startNanos : Long.MAX_VALUE;
    long nextVocabularySession = vocabulary == null ? Long.MAX_VALUE : startNanos;
    long vocabularySessionNanos =
        vocabulary == null
            ? 0
            : (long) (1e9 * vocabulary.turnsPerSession() / shape.vocabulary().turnsPerSecond());
    long nextProbe =
        withProbes && shape.probeIntervalMs() > 0 ? startNanos + 1_000_000_000L : Long.MAX_VALUE;
    long lastProbeStart = planned - (shape.attributionWindowMs() + 3000) * 1_000_000L;
    scheduled.clear();
    while (true) {
      long end = Math.min(planned, stopAtNanos);
      long due =
          Math.min(Math.min(Math.min(nextPrediction, nextSession), nextProbe), nextVocabularySession);
      Scheduled first = scheduled.peek();
      if (first != null && first.atNanos < due) {
        due = first.atNanos;
      }
      if (due >= end) {
        return;
      }
      long now = clock.nanos();
      if (due > now) {
        LockSupport.parkNanos(Math.min(due - now, 500_000));
        continue;
      }
      maxLagMicros.accumulateAndGet((now - due) / 1000, Math::max);
      double secondsIn = (due - startNanos) / 1e9;
      if (first != null && due == first.atNanos) {
        scheduled.poll().action.accept(due);
      } else if (due == nextPrediction) {
        prediction(shape, due, secondsIn, window);
        nextPrediction += (long) (1e9 / shape.rateAt(secondsIn));
      } else if (due == nextSession) {
        session(shape, due, secondsIn);
        nextSession += (long) (1e9 / shape.interactionRate());
      } else if (due == nextVocabularySession) {
        vocabularySession(due);
        nextVocabularySession += vocabularySessionNanos;
      } else {
        if (due <= lastProbeStart) {
          startProbe(shape, due);
        }
        // Windows close on a stream-time punctuation grid; probes at a fixed period would all
        // close at the same phase of it and measure one point of the punctuation delay, not its
        // spread. A random gap (mean: the interval) samples every phase.
        nextProbe += (long) (shape.probeIntervalMs() * 1e6 * (0.5 + probeTiming.nextDouble()));
      }
    }
  }

  /** Ends a {@link #run} in progress (from another thread) at {@code nanos} on the load clock. */
  void stopAt(long nanos) {
    stopAtNanos = nanos;
  }

  private void prediction(Scenario shape, long intended, double secondsIn, Window window) {
    if (shape.badShare() > 0 && random.nextDouble() < shape.badShare()) {
      badRecord(intended);
      return;
    }
    long seq = predictions.getAndIncrement();
    long micros = clock.epochMicros(intended);
    long ts = micros / 1000;
    int model = random.nextInt(scenario.models());
    int versionBase =
        shape.versionChangeAtS() >= 0 && secondsIn >= shape.versionChangeAtS()
            ? scenario.versions()
            : 0;
    String version = "v" + (1 + versionBase + random.nextInt(scenario.versions()));
    String id = "r" + seq + "-" + micros;
    String json =
        predictionJson(
            id,
            "m" + model,
            version,
            ts,
            random.nextDouble(),
            embeddings[model][random.nextInt(EMBEDDING_POOL)],
            "u" + random.nextInt(Math.max(1, shape.users())));
    if (window.containsIntended(micros)) {
      window.offered.incrementAndGet();
    }
    send(topics.predictions().name(), id, ts, json);
    if (random.nextDouble() < shape.outcomeRatio()) {
      long delayMs =
          Math.min(
              shape.outcomeDelayMaxMs(),
              (long) (-shape.outcomeDelayMeanMs() * Math.log(1 - random.nextDouble())));
      schedule(
          intended + delayMs * 1_000_000L,
          at -> {
            send(topics.outcomes().name(), id, ts + delayMs, outcomeJson(id, ts + delayMs, 1));
            outcomeIds.add(id);
            outcomes.incrementAndGet();
          });
    }
  }

  private void session(Scenario shape, long intended, double secondsIn) {
    int user = random.nextInt(shape.users());
    long ts = clock.epochMicros(intended) / 1000;
    boolean storm =
        shape.stormAtS() >= 0
            && secondsIn >= shape.stormAtS()
            && secondsIn < shape.stormAtS() + shape.stormS();
    int failingIntent = -1;
    if (storm && random.nextDouble() < shape.stormShare()) {
      failingIntent = shape.failingUtterances() + random.nextInt(shape.stormUtterances());
    } else if (shape.failingUtterances() > 0 && random.nextDouble() < shape.failingShare()) {
      failingIntent = random.nextInt(shape.failingUtterances());
    }
    if (failingIntent < 0) {
      turn(user, ts, canonical(ORDINARY_INTENTS + random.nextInt(ORDINARY_INTENTS)), "success");
      return;
    }
    int intent = failingIntent;
    turn(user, ts, failing(intent), null);
    schedule(
        intended + REPHRASE_AFTER_MS * 1_000_000L,
        at -> {
          turn(user, ts + REPHRASE_AFTER_MS, canonical(intent), "success");
          if (!chainIntact(user, ts)) {
            return; // another turn of this user's fell inside: the service sees another chain
          }
          intactChains
              .computeIfAbsent(
                  failing(intent), f -> Collections.synchronizedList(new ArrayList<>()))
              .add(new RuleEvidence.IntactChain(user, ts + REPHRASE_AFTER_MS));
        });
  }

  /** The next large-vocabulary session: its turns at their offsets from now, event time now. */
  private void vocabularySession(long intended) {
    VocabularyReplay.Session session = vocabulary.next();
    long ts = clock.epochMicros(intended) / 1000;
    for (VocabularyReplay.Turn turn : session.turns()) {
      LongConsumer send =
          at -> {
            ObjectNode json = EventCodec.JSON.createObjectNode();
            json.put("userId", session.user());
            json.put("timestamp", ts + turn.offsetMs());
            json.put("utterance", turn.utterance());
            if (turn.signal() != null) {
              json.put("signal", turn.signal());
            }
            send(topics.interactions().name(), session.user(), ts + turn.offsetMs(), json.toString());
            turns.incrementAndGet();
            vocabularyTurns.incrementAndGet();
          };
      if (turn.offsetMs() == 0) {
        send.accept(intended);
      } else {
        schedule(intended + turn.offsetMs() * 1_000_000L, send);
      }
    }
  }

  /** Each failing utterance's rule evidence (see {@link RuleEvidence#of}); read after the run. */
  Map<String, RuleEvidence> ruleEvidence(int users, long sessionGapMs) {
    return RuleEvidence.of(intactChains, turnTimes, users, sessionGapMs);
  }

  /** Whether none of {@code user}'s turns fell between the failing turn at {@code ts} and its rephrase. */
  private boolean chainIntact(int user, long ts) {
    List<Long> times = turnTimes.get(user);
    synchronized (times) {
      return times.stream().noneMatch(t -> t > ts && t < ts + REPHRASE_AFTER_MS);
    }
  }

  private void turn(int user, long ts, String utterance, String signal) {
    turnTimes.computeIfAbsent(user, u -> Collections.synchronizedList(new ArrayList<>())).add(ts);
    String json =
        "{\"userId\":\"u"
            + user
            + "\",\"timestamp\":"
            + ts
            + ",\"utterance\":\""
            + utterance
            + "\""
            + (signal == null ? "" : ",\"signal\":\"" + signal + "\"")
            + "}";
    send(topics.interactions().name(), "u" + user, ts, json);
    turns.incrementAndGet();
  }

  /**
   * A freshness probe: one prediction of the probe model with a fresh embedding and its outcome at
   * once; a baseline query before its window closes; then a query every 20 ms from the moment the
   * window closes until a compensation for the same embedding shows the sample's evidence.
   */
  private void startProbe(Scenario shape, long intended) {
    long ts = clock.epochMicros(intended) / 1000;
    String embedding = embeddingJson(random, scenario.dimension());
    Probes.Probe probe = probes.start(ts + shape.attributionWindowMs());
    String sampleId = "probe-" + probe.number() + "-s";
    send(
        topics.predictions().name(),
        sampleId,
        ts,
        predictionJson(sampleId, PROBE_MODEL, "v1", ts, 0.5, embedding, "probe"));
    schedule(
        intended + 20_000_000L,
        at -> send(topics.outcomes().name(), sampleId, ts + 1, outcomeJson(sampleId, ts + 1, 1)));
    schedule(intended + 200_000_000L, at -> probeQuery(probe, embedding, "b", at));
    long closeNanos = intended + shape.attributionWindowMs() * 1_000_000L;
    LongConsumer[] query = new LongConsumer[1];
    int[] queries = {0};
    query[0] =
        at -> {
          if (probe.answered() || at - closeNanos > PROBE_GIVE_UP_MS * 1_000_000L) {
            return;
          }
          probeQuery(probe, embedding, "q" + queries[0]++, at);
          schedule(at + PROBE_QUERY_EVERY_MS * 1_000_000L, query[0]);
        };
    schedule(closeNanos, query[0]);
  }

  private void probeQuery(Probes.Probe probe, String embedding, String role, long intended) {
    long ts = clock.epochMicros(intended) / 1000;
    String id = "probe-" + probe.number() + "-" + role;
    send(
        topics.predictions().name(),
        id,
        ts,
        predictionJson(id, PROBE_MODEL, "v1", ts, 0.5, embedding, "probe"));
  }

  /** A record the service must reject to the dead-letter topic; its key names it. */
  private void badRecord(long intended) {
    long n = bad.getAndIncrement();
    String kind = BAD_KINDS[(int) (n % BAD_KINDS.length)];
    badByKind.computeIfAbsent(kind, k -> new LongAdder()).increment();
    String key = "bad-" + n;
    long ts = clock.epochMicros(intended) / 1000;
    String embedding = embeddings[0][0];
    switch (kind) {
      case "predictions/malformed-json" ->
          send(topics.predictions().name(), key, ts, "{\"requestId\":\"" + key + "\",\"modelId\":");
      case "predictions/score-out-of-range" ->
          send(
              topics.predictions().name(),
              key,
              ts,
              predictionJson(key, "m0", "v1", ts, 1.5, embedding, "u0"));
      case "predictions/missing-field" ->
          send(
              topics.predictions().name(),
              key,
              ts,
              "{\"requestId\":\"" + key + "\",\"timestamp\":" + ts + ",\"score\":0.5}");
      case "predictions/invalid-utf8" -> {
        byte[] prefix = ("{\"requestId\":\"" + key + "\",\"modelId\":\"m").getBytes(UTF8);
        byte[] value = new byte[prefix.length + 4];
        System.arraycopy(prefix, 0, value, 0, prefix.length);
        value[prefix.length] = (byte) 0xC3;
        value[prefix.length + 1] = (byte) 0x28;
        value[prefix.length + 2] = '"';
        value[prefix.length + 3] = '}';
        producer.send(
            new ProducerRecord<>(topics.predictions().name(), null, ts, key.getBytes(UTF8), value),
            this::sent);
      }
      case "predictions/timestamp-negative" ->
          send(
              topics.predictions().name(),
              key,
              ts,
              predictionJson(key, "m0", "v1", -5, 0.5, embedding, "u0"));
      case "outcomes/label-out-of-range" ->
          send(topics.outcomes().name(), key, ts, outcomeJson(key, ts, 2));
      default ->
          send(
              topics.interactions().name(),
              key,
              ts,
              "{\"userId\":\"" + key + "\",\"timestamp\":" + ts + ",\"utterance\":\"   \"}");
    }
  }

  /** The utterance a user says for an intent when it works. */
  static String canonical(int intent) {
    return "play track " + intent + " from my library";
  }

  /** The misrecognised form of an intent, which always fails; its rule rewrites it to canonical. */
  static String failing(int intent) {
    return "play trak " + intent + " from my library";
  }

  private void schedule(long atNanos, LongConsumer action) {
    scheduled.add(new Scheduled(atNanos, scheduleOrder++, action));
  }

  private void send(String topic, String key, long ts, String json) {
    producer.send(
        new ProducerRecord<>(topic, null, ts, key.getBytes(UTF8), json.getBytes(UTF8)), this::sent);
  }

  private void sent(RecordMetadata metadata, Exception failure) {
    if (failure != null) {
      sendFailures.incrementAndGet();
    }
  }

  static String predictionJson(
      String id,
      String model,
      String version,
      long ts,
      double score,
      String embedding,
      String user) {
    return "{\"requestId\":\""
        + id
        + "\",\"modelId\":\""
        + model
        + "\",\"modelVersion\":\""
        + version
        + "\",\"timestamp\":"
        + ts
        + ",\"score\":"
        + String.format(Locale.ROOT, "%.4f", score)
        + ",\"embedding\":"
        + embedding
        + ",\"userId\":\""
        + user
        + "\"}";
  }

  static String outcomeJson(String id, long ts, double label) {
    return "{\"requestId\":\"" + id + "\",\"timestamp\":" + ts + ",\"label\":" + label + "}";
  }

  private static String embeddingJson(SplittableRandom random, int dimension) {
    StringBuilder b = new StringBuilder(dimension * 8).append('[');
    for (int i = 0; i < dimension; i++) {
      if (i > 0) {
        b.append(',');
      }
      b.append(String.format(Locale.ROOT, "%.4f", random.nextDouble(-1, 1)));
    }
    return b.append(']').toString();
  }

  private static final java.nio.charset.Charset UTF8 = StandardCharsets.UTF_8;

  private record Scheduled(long atNanos, long order, LongConsumer action)
      implements Comparable<Scheduled> {
    @Override
    public int compareTo(Scheduled other) {
      int byTime = Long.compare(atNanos, other.atNanos);
      return byTime != 0 ? byTime : Long.compare(order, other.order);
    }
  }
}
