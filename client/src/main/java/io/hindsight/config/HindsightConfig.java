package io.hindsight.config;

import static org.apache.kafka.common.config.ConfigDef.Importance.HIGH;
import static org.apache.kafka.common.config.ConfigDef.Importance.LOW;
import static org.apache.kafka.common.config.ConfigDef.Importance.MEDIUM;
import static org.apache.kafka.common.config.ConfigDef.Range.atLeast;
import static org.apache.kafka.common.config.ConfigDef.Range.between;

import io.hindsight.markov.RewriteSettings;
import io.hindsight.memory.EmbeddingSlice;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigException;

/**
 * Hindsight's one typed configuration. Immutable; every key has a type, default, validator and
 * documentation. Sources, lowest precedence first: defaults, a properties file, the environment
 * ({@code HINDSIGHT_} + key upper-cased with {@code .} as {@code _}), command-line flags. Keys
 * under {@value #KAFKA_PREFIX} pass through, prefix removed, to every Kafka client and to Kafka
 * Streams (security settings, tuning). An invalid value fails with a {@link ConfigException} naming
 * the key.
 */
public final class HindsightConfig extends AbstractConfig {

  public static final String KAFKA_PREFIX = "kafka.";
  public static final String ENV_PREFIX = "HINDSIGHT_";

  public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
  public static final String APPLICATION_ID = "application.id";
  public static final String PROCESSING_GUARANTEE = "processing.guarantee";
  public static final String NUM_STREAM_THREADS = "num.stream.threads";
  public static final String EXACTLY_ONCE_COMMIT_INTERVAL_MS = "exactly.once.commit.interval.ms";
  public static final String INPUT_FETCH_MIN_BYTES = "input.fetch.min.bytes";
  public static final String INPUT_FETCH_MAX_WAIT_MS = "input.fetch.max.wait.ms";
  public static final String STATE_DIR = "state.dir";
  public static final String STATE_CLEANUP_ON_START = "state.cleanup.on.start";
  public static final String STATE_STORE_TYPE = "state.store.type";
  public static final String DATA_DIR = "data.dir";
  public static final String STREAMS_RESTART_MAX_ATTEMPTS = "streams.restart.max.attempts";
  public static final String STREAMS_RESTART_BACKOFF_MS = "streams.restart.backoff.ms";
  public static final String STREAMS_RESTART_BACKOFF_MAX_MS = "streams.restart.backoff.max.ms";
  public static final String RECOVERY_HANGING_TRANSACTION_CHECK_MS =
      "recovery.hanging.transaction.check.ms";
  public static final String BROKER_PORT = "broker.port";
  public static final String HTTP_HOST = "http.host";
  public static final String HTTP_PORT = "http.port";
  public static final String HTTP_THREADS = "http.threads";
  public static final String HTTP_MAX_CONNECTIONS = "http.max.connections";
  public static final String HTTP_ACCEPT_BACKLOG = "http.accept.backlog";
  public static final String HTTP_MAX_CONCURRENT_REQUESTS = "http.max.concurrent.requests";
  public static final String HTTP_MAX_REQUEST_BYTES = "http.max.request.bytes";
  public static final String HTTP_MAX_QUEUED_REQUESTS = "http.max.queued.requests";
  public static final String HTTP_RETRY_AFTER_SECONDS = "http.retry.after.seconds";
  public static final String TOPIC_PREFIX = "topic.prefix";
  public static final String TOPIC_PARTITIONS = "topic.partitions";
  public static final String TOPIC_REPLICATION_FACTOR = "topic.replication.factor";
  public static final String TOPIC_RETENTION_MS = "topic.retention.ms";
  public static final String TOPIC_MAX_MESSAGE_BYTES = "topic.max.message.bytes";
  public static final String VALIDATION_MAX_RECORD_BYTES = "validation.max.record.bytes";
  public static final String VALIDATION_MAX_FUTURE_SKEW_MS = "validation.max.future.skew.ms";

  public static final String COMPENSATION_ATTRIBUTION_WINDOW_MS =
      "compensation.attribution.window.ms";
  public static final String COMPENSATION_OUTCOME_GRACE_MS = "compensation.outcome.grace.ms";
  public static final String COMPENSATION_WINDOW_LATENESS_MS = "compensation.window.lateness.ms";
  public static final String COMPENSATION_INPUT_IDLE_MS = "compensation.input.idle.ms";
  public static final String COMPENSATION_ALIGNMENT_TOLERANCE_MS =
      "compensation.alignment.tolerance.ms";
  public static final String COMPENSATION_ALIGNMENT_MAX_WAIT_MS =
      "compensation.alignment.max.wait.ms";
  public static final String COMPENSATION_IMPLICIT_NEGATIVES = "compensation.implicit.negatives";
  public static final String COMPENSATION_WRITE_MODE = "compensation.write.mode";
  public static final String COMPENSATION_MEMORY_STORE = "compensation.memory.store";
  public static final String COMPENSATION_MEMORY_ARRAYS = "compensation.memory.arrays";
  public static final String COMPENSATION_MEMORY_BITS = "compensation.memory.bits";
  public static final String COMPENSATION_MEMORY_SEED = "compensation.memory.seed";
  public static final String COMPENSATION_MEMORY_MIN_COUNT = "compensation.memory.min.count";
  public static final String COMPENSATION_MEMORY_ERROR_THRESHOLD =
      "compensation.memory.error.threshold";
  public static final String COMPENSATION_MEMORY_HALF_LIFE_MS = "compensation.memory.half.life.ms";
  public static final String COMPENSATION_FEATURES_DIMENSION = "compensation.features.dimension";
  public static final String COMPENSATION_TAU = "compensation.tau";
  public static final String COMPENSATION_LAMBDA = "compensation.lambda";
  public static final String COMPENSATION_GAMMA = "compensation.gamma";
  public static final String COMPENSATION_VERSION_EXPIRY_MS = "compensation.version.expiry.ms";
  public static final String COMPENSATION_MODE = "compensation.mode";
  public static final String COMPENSATION_FIELDS = "compensation.fields";
  public static final String COMPENSATION_FIELD_PRIOR_COUNT = "compensation.field.prior.count";
  public static final String COMPENSATION_FIELD_HALF_LIFE_MS = "compensation.field.half.life.ms";
  public static final String COMPENSATION_FIELD_MAX_VALUES = "compensation.field.max.values";
  public static final String COMPENSATION_BLEND_LEARNING_RATE = "compensation.blend.learning.rate";
  public static final String COMPENSATION_BLEND_BETA = "compensation.blend.beta";
  public static final String COMPENSATION_BLEND_L1 = "compensation.blend.l1";
  public static final String COMPENSATION_BLEND_L2 = "compensation.blend.l2";
  public static final String COMPENSATION_GUARD_HALF_LIFE_MS = "compensation.guard.half.life.ms";
  public static final String COMPENSATION_GUARD_MIN_WEIGHT = "compensation.guard.min.weight";
  public static final String COMPENSATION_GUARD_TOLERANCE = "compensation.guard.tolerance";
  public static final String COMPENSATION_ENTITY_EMBEDDING = "compensation.entity.embedding";
  public static final String COMPENSATION_ENTITY_FIELDS = "compensation.entity.fields";
  public static final String COMPENSATION_ENTITY_HALF_LIVES_MS =
      "compensation.entity.half.lives.ms";
  public static final String COMPENSATION_ENTITY_PRIOR = "compensation.entity.prior";
  public static final String EVALUATION_FINETUNE_ENTITY_FIELD = "evaluation.finetune.entity.field";
  public static final String EVALUATION_FINETUNE_ITEM_FIELD = "evaluation.finetune.item.field";
  public static final String EVALUATION_FINETUNE_LEARNING_RATE =
      "evaluation.finetune.learning.rate";
  public static final String EVALUATION_FINETUNE_L2 = "evaluation.finetune.l2";
  public static final String COMPENSATION_PUNCTUATE_INTERVAL_MS =
      "compensation.punctuate.interval.ms";

  public static final String REWRITE_SESSION_GAP_MS = "rewrite.session.gap.ms";
  public static final String REWRITE_REPHRASE_GAP_MS = "rewrite.rephrase.gap.ms";
  public static final String REWRITE_MARGIN = "rewrite.margin";
  public static final String REWRITE_MIN_SOURCE_USERS = "rewrite.min.source.users";
  public static final String REWRITE_MIN_TRANSITION_USERS = "rewrite.min.transition.users";
  public static final String REWRITE_MAX_EDIT_DISTANCE = "rewrite.similarity.max.edit.distance";
  public static final String REWRITE_SIMILARITY_GUARD = "rewrite.similarity.guard";
  public static final String REWRITE_BLOCK_LIST = "rewrite.block.list";
  public static final String REWRITE_MAX_SUCCESSORS = "rewrite.max.successors";
  public static final String REWRITE_SOLVER_INTERVAL_MS = "rewrite.solver.interval.ms";
  public static final String REWRITE_SOLVER_TOLERANCE = "rewrite.solver.tolerance";
  public static final String REWRITE_SOLVER_MAX_RELAXATIONS = "rewrite.solver.max.relaxations";
  public static final String REWRITE_SEARCH_MAX_STATES = "rewrite.search.max.states";
  public static final String REWRITE_SEARCH_MAX_PUSHES = "rewrite.search.max.pushes";
  public static final String REWRITE_MAX_STATES = "rewrite.max.states";
  public static final String REWRITE_STATE_HORIZON_MS = "rewrite.state.horizon.ms";
  public static final String REWRITE_SNAPSHOT_INTERVAL_MS = "rewrite.snapshot.interval.ms";
  public static final String REWRITE_RETRACTION_CONFIDENCE = "rewrite.retraction.confidence";
  public static final String REWRITE_RETRACTION_MIN_APPLICATIONS =
      "rewrite.retraction.min.applications";
  public static final String REWRITE_COOLDOWN_MS = "rewrite.cooldown.ms";

  public static final String EXACTLY_ONCE_V2 = "exactly_once_v2";
  public static final String AT_LEAST_ONCE = "at_least_once";

  private static final long SECOND = 1_000L;
  private static final long MINUTE = 60 * SECOND;
  private static final long HOUR = 60 * MINUTE;
  private static final long DAY = 24 * HOUR;

  /** Field names for {@link #COMPENSATION_FIELDS}: non-blank, distinct, at most 200 characters. */
  private static final ConfigDef.Validator FIELD_NAMES =
      new ConfigDef.Validator() {
        @Override
        public void ensureValid(String name, Object value) {
          @SuppressWarnings("unchecked")
          List<String> fields = (List<String>) value;
          if (fields == null) {
            return;
          }
          for (String field : fields) {
            if (field.isBlank() || field.length() > 200) {
              throw new ConfigException(name, value, "field names must be 1 to 200 characters");
            }
          }
          if (fields.stream().distinct().count() != fields.size()) {
            throw new ConfigException(name, value, "fields must be distinct");
          }
        }

        @Override
        public String toString() {
          return "distinct names of 1 to 200 characters";
        }
      };

  /** For {@link #STATE_DIR}: empty (derived from the data directory) or a non-blank path. */
  private static final ConfigDef.Validator EMPTY_OR_PATH =
      ConfigDef.LambdaValidator.with(
          (name, value) -> {
            String path = (String) value;
            if (path != null && !path.isEmpty() && path.isBlank()) {
              throw new ConfigException(name, value, "a path, or empty for DATA_DIR/state");
            }
          },
          () -> "a path, or empty for DATA_DIR/state");

  /** For {@link #COMPENSATION_ENTITY_HALF_LIVES_MS}: distinct non-negative longs, at least one. */
  private static final ConfigDef.Validator HALF_LIVES =
      ConfigDef.LambdaValidator.with(
          (name, value) -> {
            @SuppressWarnings("unchecked")
            List<String> items = (List<String>) value;
            if (items == null || items.isEmpty()) {
              throw new ConfigException(name, value, "at least one half-life");
            }
            try {
              for (String item : items) {
                long h = Long.parseLong(item.trim());
                if (h < 0 || h > Long.MAX_VALUE / 8) {
                  throw new ConfigException(name, value, "half-lives must be in [0, 2^60]");
                }
              }
            } catch (NumberFormatException e) {
              throw new ConfigException(name, value, "half-lives must be whole milliseconds");
            }
            if (items.stream().map(String::trim).distinct().count() != items.size()) {
              throw new ConfigException(name, value, "half-lives must be distinct");
            }
          },
          () -> "distinct milliseconds >= 0, at least one");

  /** For {@link #COMPENSATION_ENTITY_EMBEDDING}: what {@link EmbeddingSlice#parse} accepts. */
  private static final ConfigDef.Validator EMBEDDING_SLICE =
      ConfigDef.LambdaValidator.with(
          (name, value) -> {
            try {
              EmbeddingSlice.parse((String) value);
            } catch (IllegalArgumentException e) {
              throw new ConfigException(name, value, e.getMessage());
            }
          },
          () -> "all, first-half, second-half or FROM:TO");

  /** A field name of at most 200 characters, or empty. */
  private static final ConfigDef.Validator MEDIUM_TEXT =
      ConfigDef.LambdaValidator.with(
          (name, value) -> {
            if (value != null && ((String) value).length() > 200) {
              throw new ConfigException(name, value, "at most 200 characters");
            }
          },
          () -> "empty, or a field name of at most 200 characters");

  public static final ConfigDef DEFINITION =
      new ConfigDef()
          .define(
              BOOTSTRAP_SERVERS,
              Type.STRING,
              "",
              HIGH,
              "Kafka bootstrap servers (host:port,...). Empty starts a real single-node KRaft broker"
                  + " inside the process on 127.0.0.1.")
          .define(
              APPLICATION_ID,
              Type.STRING,
              "hindsight",
              new ConfigDef.NonEmptyString(),
              HIGH,
              "Kafka Streams application id prefix; each topology appends its name"
                  + " (hindsight-compensation, hindsight-rewrites).")
          .define(
              PROCESSING_GUARANTEE,
              Type.STRING,
              EXACTLY_ONCE_V2,
              ValidString.in(EXACTLY_ONCE_V2, AT_LEAST_ONCE),
              HIGH,
              "Kafka Streams processing guarantee.")
          .define(
              EXACTLY_ONCE_COMMIT_INTERVAL_MS,
              Type.LONG,
              100L,
              atLeast(1),
              MEDIUM,
              "Kafka Streams' commit.interval.ms under exactly_once_v2 (100 is Streams' own default"
                  + " there): how often a stream thread commits its transaction, the earliest a"
                  + " read_committed consumer sees a result. Each commit blocks the thread on the"
                  + " cluster (producer flush, offsets, end of transaction): on a replicated cluster"
                  + " whose stream threads spend much of their time committing"
                  + " (kafka_stream_thread_commit_ratio), a longer interval frees them at the cost of"
                  + " that much later results (see load-tests/results/eos-latency.md)."
                  + " kafka.commit.interval.ms overrides it.")
          .define(
              INPUT_FETCH_MIN_BYTES,
              Type.INT,
              64 * 1024,
              atLeast(1),
              MEDIUM,
              "How many bytes of input a stream thread's fetch waits for (Kafka's fetch.min.bytes"
                  + " of the main consumer; Kafka's default is 1), at most input.fetch.max.wait.ms."
                  + " A fetch then carries what arrived in that time instead of the few records since"
                  + " the last one: the broker's and the consumer's cost is per request"
                  + " (load-tests/results/vocabulary.md, section 18). A kafka.main.consumer.,"
                  + " kafka.consumer. or kafka. fetch.min.bytes overrides it.")
          .define(
              INPUT_FETCH_MAX_WAIT_MS,
              Type.INT,
              20,
              between(0, 500),
              MEDIUM,
              "The longest a stream thread's fetch waits for input.fetch.min.bytes (Kafka's"
                  + " fetch.max.wait.ms of the main consumer; Kafka's default is 500): what a record"
                  + " may wait before it is processed until input arrives faster than the minimum"
                  + " bytes per wait (64 KiB per 20 ms: some 20,000 interactions a second), and,"
                  + " with no traffic at all, how often each stream thread asks the broker. A"
                  + " kafka.main.consumer., kafka.consumer. or kafka. fetch.max.wait.ms overrides"
                  + " it.")
          .define(
              NUM_STREAM_THREADS,
              Type.INT,
              1,
              between(1, 64),
              MEDIUM,
              "Stream threads per topology.")
          .define(
              STATE_DIR,
              Type.STRING,
              "",
              EMPTY_OR_PATH,
              HIGH,
              "Kafka Streams state directory; the off-heap error memory lives under it. Empty means"
                  + " DATA_DIR/state. State read from another Kafka cluster (its id is kept in the"
                  + " directory) is discarded at start and rebuilt.")
          .define(
              STATE_CLEANUP_ON_START,
              Type.BOOLEAN,
              false,
              LOW,
              "Delete local state before starting (KafkaStreams.cleanUp()); state is rebuilt from"
                  + " Kafka.")
          .define(
              STATE_STORE_TYPE,
              Type.STRING,
              "rocksdb",
              ValidString.in("rocksdb", "in-memory"),
              LOW,
              "Key-value stores of the topologies (attribution buffer, sessions): rocksdb, or"
                  + " in-memory (faster; rebuilt from the changelog on restart; evaluate uses it).")
          .define(
              DATA_DIR,
              Type.STRING,
              "./data",
              new ConfigDef.NonEmptyString(),
              MEDIUM,
              "Hindsight's local data: the embedded broker's log (DATA_DIR/kafka) and, unless"
                  + " state.dir is set, Kafka Streams state and the error memories"
                  + " (DATA_DIR/state).")
          .define(
              STREAMS_RESTART_MAX_ATTEMPTS,
              Type.INT,
              5,
              between(0, 1000),
              MEDIUM,
              "Restarts in a row of a Kafka Streams client that failed (ERROR: e.g. its global"
                  + " thread died), each after a back-off, before the process gives up and exits"
                  + " non-zero for its supervisor to restart it; 0 exits at the first failure. The"
                  + " count starts again once a client has run for streams.restart.backoff.max.ms.")
          .define(
              STREAMS_RESTART_BACKOFF_MS,
              Type.LONG,
              SECOND,
              between(0, HOUR),
              LOW,
              "Wait before the first restart of a failed Kafka Streams client; it doubles with"
                  + " each further failure in a row.")
          .define(
              STREAMS_RESTART_BACKOFF_MAX_MS,
              Type.LONG,
              MINUTE,
              between(0, HOUR),
              LOW,
              "Longest wait between restarts of a failed Kafka Streams client.")
          .define(
              RECOVERY_HANGING_TRANSACTION_CHECK_MS,
              Type.LONG,
              30 * SECOND,
              between(0, HOUR),
              LOW,
              "Under exactly_once_v2, how often to look for transactions the cluster will never"
                  + " finish (left open by a broker killed mid-transaction) on Hindsight's topics and"
                  + " its groups' offsets; one open at the same offset in two looks in a row, unknown"
                  + " to its coordinator, is aborted and counted. 0 turns the check off.")
          .define(
              BROKER_PORT,
              Type.INT,
              0,
              between(0, 65535),
              MEDIUM,
              "Embedded broker port on 127.0.0.1; 0 picks a free port.")
          .define(
              HTTP_HOST,
              Type.STRING,
              "127.0.0.1",
              new ConfigDef.NonEmptyString(),
              MEDIUM,
              "Address the operations endpoint binds to.")
          .define(
              HTTP_PORT,
              Type.INT,
              0,
              between(0, 65535),
              MEDIUM,
              "Operations endpoint port (/metrics, /health/live, /health/ready, /compensate,"
                  + " /rewrite); 0 picks a free port.")
          .define(
              HTTP_THREADS,
              Type.INT,
              16,
              between(8, 1024),
              LOW,
              "Threads of the HTTP server, its acceptor and selector included.")
          .define(
              HTTP_MAX_CONNECTIONS,
              Type.INT,
              1024,
              between(1, 1_000_000),
              LOW,
              "Open HTTP connections at most; past it new ones wait in the kernel's accept"
                  + " backlog. Bounds the server's work queue (a job per connection).")
          .define(
              HTTP_ACCEPT_BACKLOG,
              Type.INT,
              4096,
              between(1, 65535),
              LOW,
              "New connections the kernel holds for the server to accept: the listen backlog,"
                  + " which Linux caps at net.core.somaxconn. Past it a new connection's handshake"
                  + " is dropped and retried a second or more later, or reset.")
          .define(
              HTTP_MAX_CONCURRENT_REQUESTS,
              Type.INT,
              64,
              between(1, 100_000),
              MEDIUM,
              "Lookups (/compensate, /rewrite) in flight at once, bodies being read included; one"
                  + " more is answered 503 with Retry-After at once. /metrics and /health are not"
                  + " counted.")
          .define(
              HTTP_MAX_REQUEST_BYTES,
              Type.INT,
              4 * 1024 * 1024,
              between(1024, Integer.MAX_VALUE - 8),
              MEDIUM,
              "Largest request body accepted; a larger one is answered 413 without being read"
                  + " (a declared Content-Length at once, a chunked body when it passes the bound).")
          .define(
              HTTP_MAX_QUEUED_REQUESTS,
              Type.INT,
              64,
              between(0, 1_000_000),
              MEDIUM,
              "Requests waiting for an HTTP thread (the CPU is saturated) beyond which a lookup is"
                  + " answered 503 with Retry-After at once instead of late.")
          .define(
              HTTP_RETRY_AFTER_SECONDS,
              Type.INT,
              1,
              between(1, 3600),
              LOW,
              "Retry-After (seconds) sent with a 503 when the lookups are saturated.")
          .define(
              TOPIC_PREFIX,
              Type.STRING,
              "",
              MEDIUM,
              "Prefix applied to every topic name (predictions, outcomes, ...).")
          .define(
              TOPIC_PARTITIONS,
              Type.INT,
              4,
              between(1, 10_000),
              MEDIUM,
              "Partitions for topics Hindsight creates.")
          .define(
              TOPIC_REPLICATION_FACTOR,
              Type.INT,
              1,
              between(1, Short.MAX_VALUE),
              MEDIUM,
              "Replication factor for topics Hindsight creates.")
          .define(
              TOPIC_RETENTION_MS,
              Type.LONG,
              7 * DAY,
              atLeast(-1),
              MEDIUM,
              "retention.ms for the event topics Hindsight creates (-1 keeps forever). The"
                  + " labelled-samples topic keeps forever: it is the error memory's source of"
                  + " truth.")
          .define(
              TOPIC_MAX_MESSAGE_BYTES,
              Type.INT,
              8 * 1024 * 1024,
              atLeast(1024),
              LOW,
              "max.message.bytes for the topics Hindsight creates, above"
                  + " validation.max.record.bytes so that oversize records reach the dead-letter"
                  + " topic intact.")
          .define(
              VALIDATION_MAX_RECORD_BYTES,
              Type.INT,
              1024 * 1024,
              atLeast(64),
              MEDIUM,
              "Records larger than this go to the dead-letter topic (record-too-large).")
          .define(
              VALIDATION_MAX_FUTURE_SKEW_MS,
              Type.LONG,
              HOUR,
              atLeast(0),
              MEDIUM,
              "Events timestamped further than this ahead of the wall clock go to the dead-letter"
                  + " topic (timestamp-in-future).")
          .define(
              COMPENSATION_ATTRIBUTION_WINDOW_MS,
              Type.LONG,
              10 * MINUTE,
              atLeast(0),
              HIGH,
              "Event time a prediction waits for its outcome. When it closes the labelled sample"
                  + " is written to the error memory.")
          .define(
              COMPENSATION_OUTCOME_GRACE_MS,
              Type.LONG,
              30 * SECOND,
              atLeast(0),
              MEDIUM,
              "Event time an outcome waits for a prediction that has not arrived yet (their"
                  + " producers are not synchronized); then it goes to the dead-letter topic as an"
                  + " orphan. 0 rejects it at once.")
          .define(
              COMPENSATION_WINDOW_LATENESS_MS,
              Type.LONG,
              0L,
              atLeast(0),
              MEDIUM,
              "Event time an attribution window stays open after the outcomes read have passed its"
                  + " end, for outcomes that their producers send out of time order (windows close"
                  + " on the outcomes input's own time, so a lagging input needs no lateness)."
                  + " Every sample closed on its window reaches the memory this much later.")
          .define(
              COMPENSATION_INPUT_IDLE_MS,
              Type.LONG,
              10_000L,
              atLeast(1),
              MEDIUM,
              "Wall-clock time without a record (and none unread) after which a task's outcomes"
                  + " input counts as idle and follows the predictions' event time, so windows close"
                  + " in a stream whose outcomes are sparse or stopped; once both inputs are idle"
                  + " (a stream's end) orphans are found and replicas stop waiting for the task."
                  + " None unread is the cluster's word (the group's committed offset at the log's"
                  + " end): under at_least_once it comes up to a commit interval later.")
          .define(
              COMPENSATION_ALIGNMENT_TOLERANCE_MS,
              Type.LONG,
              3_000L,
              atLeast(1),
              MEDIUM,
              "A prediction is compensated once the memory replica holds every task's samples"
                  + " effective before its event time minus this (waiting in a changelogged store"
                  + " until then), so live compensations match evaluate's however unevenly the"
                  + " inputs are read. Above the replica's real-time lag (punctuation, commit and"
                  + " compensation.input.idle.ms) nothing waits in real-time operation.")
          .define(
              COMPENSATION_ALIGNMENT_MAX_WAIT_MS,
              Type.LONG,
              5_000L,
              atLeast(0),
              MEDIUM,
              "Wall-clock time a prediction waits for the replica (see"
                  + " compensation.alignment.tolerance.ms) while the replica's alignment stands"
                  + " still; then it is compensated from what the replica holds (counted), so a"
                  + " stopped task never stalls the others. A task that is only behind (a backlog)"
                  + " is waited for.")
          .define(
              COMPENSATION_IMPLICIT_NEGATIVES,
              Type.BOOLEAN,
              true,
              MEDIUM,
              "A prediction without an outcome when its window closes is a negative (label 0);"
                  + " false drops it from the memory (counted).")
          .define(
              COMPENSATION_WRITE_MODE,
              Type.STRING,
              "auto",
              ValidString.in("auto", "on-close", "eager"),
              MEDIUM,
              "on-close writes every sample when its window closes, so positives never reach the"
                  + " memory before negatives; eager writes a sample as soon as its outcome"
                  + " arrives; auto writes eagerly once a task's inputs have shown, for the model"
                  + " version, an explicit negative (an outcome with label < 0.5), two windows of"
                  + " predictions and no window closed without an outcome, and on close"
                  + " otherwise: where negatives are implicit it stays on close.")
          .define(
              COMPENSATION_MEMORY_STORE,
              Type.STRING,
              "offheap",
              ValidString.in("offheap", "onheap", "chronicle"),
              MEDIUM,
              "Error memory layout: offheap (flat file-backed bucket array), chronicle (buckets in"
                  + " a Chronicle Map), onheap (tests).")
          .define(
              COMPENSATION_MEMORY_ARRAYS,
              Type.INT,
              64,
              between(1, 1024),
              HIGH,
              "K: independent LSH arrays, i.e. pseudo-neighbours per read.")
          .define(
              COMPENSATION_MEMORY_BITS,
              Type.INT,
              12,
              between(1, 24),
              HIGH,
              "L: signed-random-projection bits per array (2^L buckets).")
          .define(
              COMPENSATION_MEMORY_SEED,
              Type.LONG,
              20230806L,
              LOW,
              "Seed of the LSH hyperplanes; writers, readers and replays must agree.")
          .define(
              COMPENSATION_MEMORY_MIN_COUNT,
              Type.INT,
              1,
              atLeast(1),
              MEDIUM,
              "n_min: buckets with fewer samples are skipped on read.")
          .define(
              COMPENSATION_MEMORY_ERROR_THRESHOLD,
              Type.DOUBLE,
              0.0,
              between(0.0, 1.0),
              LOW,
              "sigma: only samples with |y - y_base| above it are written (0 writes all).")
          .define(
              COMPENSATION_MEMORY_HALF_LIFE_MS,
              Type.LONG,
              0L,
              atLeast(0),
              MEDIUM,
              "Event-time half-life of bucket sums (0 disables decay).")
          .define(
              COMPENSATION_FEATURES_DIMENSION,
              Type.INT,
              64,
              between(1, 4096),
              MEDIUM,
              "Dimension of the hashed vector for predictions that carry features, not an"
                  + " embedding.")
          .define(
              COMPENSATION_TAU,
              Type.DOUBLE,
              0.1,
              between(1e-6, 100.0),
              MEDIUM,
              "tau: softmax temperature over the K similarities.")
          .define(
              COMPENSATION_LAMBDA,
              Type.DOUBLE,
              0.5,
              between(0.0, 1.0),
              HIGH,
              "lambda: compensation weight (0 returns the base score).")
          .define(
              COMPENSATION_GAMMA,
              Type.DOUBLE,
              1.0,
              between(0.0, 1.0),
              LOW,
              "gamma: 1 estimates the error from neighbours' labels (the paper's setting), 0 from"
                  + " their residuals.")
          .define(
              COMPENSATION_VERSION_EXPIRY_MS,
              Type.LONG,
              DAY,
              atLeast(0),
              MEDIUM,
              "A model version's memory is dropped once a newer version of the model has been"
                  + " written for this long (event time).")
          .define(
              COMPENSATION_PUNCTUATE_INTERVAL_MS,
              Type.LONG,
              200L,
              atLeast(1),
              LOW,
              "How often (stream time) attribution windows are checked for closing: a closed"
                  + " window's sample waits up to this long before it reaches the memory.")
          .define(
              COMPENSATION_ENTITY_FIELDS,
              Type.LIST,
              "userId",
              FIELD_NAMES,
              MEDIUM,
              "Fields whose values get entity memories: per value and per half-life of"
                  + " compensation.entity.half.lives.ms, the base model's logit offset as one"
                  + " Newton step, sum(y - q) / (sum q(1 - q) + compensation.entity.prior), read by"
                  + " the blend; bounded by compensation.field.max.values like a field memory."
                  + " Empty for none.")
          .define(
              COMPENSATION_ENTITY_HALF_LIVES_MS,
              Type.LIST,
              "60000,600000,3600000,0",
              HALF_LIVES,
              MEDIUM,
              "Event-time half-lives of the entity memories, one memory each (0: no decay): the"
                  + " blend learns which time scale of an entity's drift to trust.")
          .define(
              COMPENSATION_ENTITY_PRIOR,
              Type.DOUBLE,
              1.0,
              between(1e-6, 1e9),
              MEDIUM,
              "Ridge prior of the entity memories, in units of the base model's Fisher information"
                  + " (a sample at q = 0.5 adds 0.25).")
          .define(
              COMPENSATION_ENTITY_EMBEDDING,
              Type.STRING,
              "all",
              EMBEDDING_SLICE,
              MEDIUM,
              "Embedding components an entity-conditioned correction regresses on (evaluate's"
                  + " online-finetune reference): all, first-half, second-half or FROM:TO (0-based,"
                  + " TO exclusive). The entity's own half of a concatenated embedding is constant"
                  + " per entity and only repeats its bias, so all is safe; a half saves memory.")
          .define(
              EVALUATION_FINETUNE_ENTITY_FIELD,
              Type.STRING,
              "userId",
              new ConfigDef.NonEmptyString(),
              LOW,
              "evaluate's online-finetune reference: field whose values get a vector and a bias.")
          .define(
              EVALUATION_FINETUNE_ITEM_FIELD,
              Type.STRING,
              "itemId",
              MEDIUM_TEXT,
              LOW,
              "evaluate's online-finetune reference: field whose values get a bias; empty for"
                  + " none.")
          .define(
              EVALUATION_FINETUNE_LEARNING_RATE,
              Type.DOUBLE,
              0.1,
              between(1e-9, 10.0),
              LOW,
              "evaluate's online-finetune reference: SGD step size.")
          .define(
              EVALUATION_FINETUNE_L2,
              Type.DOUBLE,
              0.01,
              between(0.0, 10.0),
              LOW,
              "evaluate's online-finetune reference: L2 penalty on the parameters a step touches.")
          .define(
              COMPENSATION_MODE,
              Type.STRING,
              "blend",
              ValidString.in("reloop2", "fields", "blend"),
              HIGH,
              "Which compensation is served: reloop2 (the paper's formula from the sketch), fields"
                  + " (y_base + lambda * the sum of the field memories' estimates), blend (a model"
                  + " learned online over the base logit, the sketch's and the fields' estimates,"
                  + " held back by the guard). All three are computed and learned in every mode.")
          .define(
              COMPENSATION_FIELDS,
              Type.LIST,
              "userId,itemId",
              FIELD_NAMES,
              HIGH,
              "Declared fields with an exact error memory per value: userId, itemId or a features"
                  + " key. Empty for none.")
          .define(
              COMPENSATION_FIELD_PRIOR_COUNT,
              Type.DOUBLE,
              10.0,
              between(0.0, 1e9),
              MEDIUM,
              "Pseudo-count of zero residuals added to every field value on read: the estimate is"
                  + " sum(y - y_base) / (n + prior).")
          .define(
              COMPENSATION_FIELD_HALF_LIFE_MS,
              Type.LONG,
              0L,
              atLeast(0),
              MEDIUM,
              "Event-time half-life of field memory sums (0 disables decay).")
          .define(
              COMPENSATION_FIELD_MAX_VALUES,
              Type.INT,
              1_000_000,
              between(1, 1 << 28),
              MEDIUM,
              "Most values a field memory keeps per model version; the least recently used are"
                  + " evicted beyond it (counted).")
          .define(
              COMPENSATION_BLEND_LEARNING_RATE,
              Type.DOUBLE,
              0.02,
              between(1e-9, 100.0),
              MEDIUM,
              "alpha of the blend's FTRL-proximal learner: per-coordinate step alpha / (beta +"
                  + " sqrt(sum g^2)).")
          .define(
              COMPENSATION_BLEND_BETA,
              Type.DOUBLE,
              1.0,
              between(0.0, 1e9),
              LOW,
              "beta of the blend's learner: damps each coordinate's first steps.")
          .define(
              COMPENSATION_BLEND_L1,
              Type.DOUBLE,
              0.0,
              between(0.0, 1e9),
              LOW,
              "L1 strength on the blend's deviation from the paper's formula.")
          .define(
              COMPENSATION_BLEND_L2,
              Type.DOUBLE,
              1.0,
              between(0.0, 1e9),
              LOW,
              "L2 strength on the blend's deviation from the paper's formula.")
          .define(
              COMPENSATION_GUARD_HALF_LIFE_MS,
              Type.LONG,
              3_600_000L,
              atLeast(0),
              MEDIUM,
              "Event-time half-life of the guard's logloss comparison (0 compares all-time"
                  + " averages).")
          .define(
              COMPENSATION_GUARD_MIN_WEIGHT,
              Type.DOUBLE,
              200.0,
              between(0.0, 1e12),
              LOW,
              "Labelled samples (decayed) before the guard judges the blend; it trusts it fully"
                  + " until then.")
          .define(
              COMPENSATION_GUARD_TOLERANCE,
              Type.DOUBLE,
              0.01,
              between(1e-9, 1e9),
              MEDIUM,
              "Relative logloss excess of the blend over the base at which the guard serves the"
                  + " base score alone; trust falls linearly from 1 at no excess.")
          .define(
              REWRITE_SESSION_GAP_MS,
              Type.LONG,
              45 * SECOND,
              atLeast(1),
              HIGH,
              "Inactivity gap (event time) that ends a user's session: 45 s suits voice, 5 min"
                  + " search.")
          .define(
              REWRITE_REPHRASE_GAP_MS,
              Type.LONG,
              15 * SECOND,
              atLeast(1),
              MEDIUM,
              "A turn followed by another within this gap is a defect unless the serving side"
                  + " said otherwise.")
          .define(
              REWRITE_MARGIN,
              Type.DOUBLE,
              0.2,
              between(0.0, 1.0),
              MEDIUM,
              "Minimum gain in one-step success R_S(target) - R_S(source) for a rule.")
          .define(
              REWRITE_MIN_SOURCE_USERS,
              Type.INT,
              3,
              atLeast(1),
              MEDIUM,
              "Distinct users who must have said the source.")
          .define(
              REWRITE_MIN_TRANSITION_USERS,
              Type.INT,
              3,
              atLeast(1),
              MEDIUM,
              "Distinct users who must have made the source -> target reformulation.")
          .define(
              REWRITE_SIMILARITY_GUARD,
              Type.BOOLEAN,
              true,
              MEDIUM,
              "Refuse rules whose source and target are not similar (edit or phonetic distance).")
          .define(
              REWRITE_MAX_EDIT_DISTANCE,
              Type.DOUBLE,
              0.35,
              between(0.0, 1.0),
              LOW,
              "Largest normalised edit distance between source and target the similarity guard"
                  + " accepts.")
          .define(
              REWRITE_BLOCK_LIST,
              Type.LIST,
              "",
              LOW,
              "Normalised utterances never rewritten and never used as targets.")
          .define(
              REWRITE_MAX_SUCCESSORS,
              Type.INT,
              16,
              between(1, 1024),
              LOW,
              "Successors kept per state (the most frequent).")
          .define(
              REWRITE_SOLVER_INTERVAL_MS,
              Type.LONG,
              10 * SECOND,
              atLeast(1),
              MEDIUM,
              "How often (stream time) absorption probabilities and rules are brought up to date.")
          .define(
              REWRITE_SOLVER_TOLERANCE,
              Type.DOUBLE,
              1e-4,
              between(1e-15, 1e-4),
              LOW,
              "Residual bound of the rewrite replica's absorption solver: a state whose residual"
                  + " is below it is not relaxed again, so each eventual-success probability is"
                  + " within about this times a chain's expected length of the exact one, and a"
                  + " decision point's work follows the changes that matter, not the vocabulary."
                  + " 1e-9 is the unbounded (exact) solver; on the 1M-turn log the default decides"
                  + " within 0.2 % of it (load-tests/results/vocabulary.md, section 10).")
          .define(
              REWRITE_SOLVER_MAX_RELAXATIONS,
              Type.LONG,
              100_000L,
              atLeast(1),
              LOW,
              "Work bound of one decision point of the rewrite replica's absorption solver, in"
                  + " relaxations (one state recomputed); what is left stays queued for the next"
                  + " decision point.")
          .define(
              REWRITE_SEARCH_MAX_STATES,
              Type.INT,
              10_000,
              atLeast(2),
              LOW,
              "States one rewrite decision's search may touch; mass beyond them is dropped.")
          .define(
              REWRITE_SEARCH_MAX_PUSHES,
              Type.LONG,
              RewriteSettings.DEFAULT_MAX_PUSHES,
              atLeast(1),
              LOW,
              "Work bound of one rewrite decision, in pushes of its forward search: a decision"
                  + " stops as soon as its winner is certain, or here. 640000 with 10000 states"
                  + " is the search without a work bound.")
          .define(
              REWRITE_MAX_STATES,
              Type.INT,
              1_000_000,
              atLeast(1),
              MEDIUM,
              "Utterance states the rewrite replica holds; above it, states unseen for"
                  + " rewrite.state.horizon.ms are evicted, least supported first, never a live"
                  + " rule's source or target (down to 90 % of this).")
          .define(
              REWRITE_STATE_HORIZON_MS,
              Type.LONG,
              DAY,
              atLeast(0),
              LOW,
              "How long (log time) a state must have gone unseen before it may be evicted.")
          .define(
              REWRITE_SNAPSHOT_INTERVAL_MS,
              Type.LONG,
              5 * MINUTE,
              atLeast(0),
              LOW,
              "Wall-clock time at least between two snapshots of the rewrite replica (taken at a"
                  + " Streams commit, and on a clean close): a restart restores only the"
                  + " reformulations after the snapshot. 0 takes one at every commit.")
          .define(
              REWRITE_RETRACTION_CONFIDENCE,
              Type.DOUBLE,
              0.95,
              between(0.5, 1.0),
              LOW,
              "Posterior probability that a rule is worse than no rule at which it is retracted.")
          .define(
              REWRITE_RETRACTION_MIN_APPLICATIONS,
              Type.INT,
              20,
              atLeast(1),
              LOW,
              "Applications of a rule observed before it can be retracted.")
          .define(
              REWRITE_COOLDOWN_MS,
              Type.LONG,
              DAY,
              atLeast(0),
              LOW,
              "How long (event time) a retracted rule's source stays out.");

  private HindsightConfig(Map<String, String> values) {
    super(DEFINITION, values, false);
  }

  /** Validates the given values; throws {@link ConfigException} naming the first bad key. */
  public static HindsightConfig of(Map<String, String> values) {
    return new HindsightConfig(values);
  }

  /** Loads configuration with the documented precedence: defaults < file < environment < flags. */
  public static HindsightConfig load(
      Path propertiesFile, Map<String, String> environment, Map<String, String> flags) {
    Map<String, String> values = new HashMap<>();
    if (propertiesFile != null) {
      values.putAll(readProperties(propertiesFile));
    }
    values.putAll(fromEnvironment(environment));
    values.putAll(flags);
    for (String key : values.keySet()) {
      if (!DEFINITION.names().contains(key) && !key.startsWith(KAFKA_PREFIX)) {
        throw new ConfigException(
            key, values.get(key), "Unknown configuration key (Kafka settings take prefix kafka.)");
      }
    }
    return new HindsightConfig(values);
  }

  /** The environment variable a key is read from: HINDSIGHT_ + upper case, '.' and '-' as '_'. */
  public static String environmentName(String key) {
    return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  static Map<String, String> fromEnvironment(Map<String, String> environment) {
    Map<String, String> values = new HashMap<>();
    for (String key : DEFINITION.names()) {
      String value = environment.get(environmentName(key));
      if (value != null) {
        values.put(key, value);
      }
    }
    String kafkaEnvPrefix = environmentName(KAFKA_PREFIX);
    environment.forEach(
        (name, value) -> {
          if (name.startsWith(kafkaEnvPrefix)) {
            String rest = name.substring(kafkaEnvPrefix.length());
            values.put(KAFKA_PREFIX + rest.toLowerCase(Locale.ROOT).replace('_', '.'), value);
          }
        });
    return values;
  }

  private static Map<String, String> readProperties(Path file) {
    Properties properties = new Properties();
    try (Reader reader = Files.newBufferedReader(file)) {
      properties.load(reader);
    } catch (IOException e) {
      throw new ConfigException("Cannot read configuration file " + file + ": " + e.getMessage());
    }
    Map<String, String> values = new HashMap<>();
    properties.stringPropertyNames().forEach(k -> values.put(k, properties.getProperty(k).trim()));
    return values;
  }

  /** Kafka client and Streams settings passed through with prefix {@value #KAFKA_PREFIX}. */
  public Map<String, Object> kafkaOverrides() {
    return new TreeMap<>(originalsWithPrefix(KAFKA_PREFIX, true));
  }

  /** Kafka Streams' state directory: {@value #STATE_DIR} if set, else DATA_DIR/state. */
  public Path stateDirectory() {
    String explicit = getString(STATE_DIR);
    return explicit.isEmpty() ? Path.of(getString(DATA_DIR), "state") : Path.of(explicit);
  }

  public boolean embeddedBroker() {
    return getString(BOOTSTRAP_SERVERS).isBlank();
  }

  public String topicPrefix() {
    return getString(TOPIC_PREFIX);
  }

  public List<String> blockList() {
    return getList(REWRITE_BLOCK_LIST);
  }

  /** A copy with some values replaced, validated again. */
  public HindsightConfig with(Map<String, String> overrides) {
    Map<String, String> values = new HashMap<>();
    originalsStrings().forEach(values::put);
    values.putAll(overrides);
    return new HindsightConfig(values);
  }
}
