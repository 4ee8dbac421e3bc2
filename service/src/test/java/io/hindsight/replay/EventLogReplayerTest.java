package io.hindsight.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hindsight.datasets.EventLogReader;
import io.hindsight.datasets.MalformedEventException;
import io.hindsight.events.EventCodec;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EventLogReplayerTest {
  private static final long T0 = 1_700_000_000_000L;
  private static final EventCodec CODEC = new EventCodec(1 << 20, 3_600_000, () -> T0 + 86_400_000);

  @TempDir Path dir;

  @Test
  void shouldSendEventsInEventTimeOrderKeepingLogOrderForEqualTimestamps() throws IOException {
    String log =
        lines(
            prediction("r3", T0 + 3000),
            outcome("r1", T0 + 1000, 1),
            prediction("r1", T0),
            interaction("u1", T0 + 1000, "play jazz"),
            prediction("r2", T0 + 1000));
    RecordingSink sink = new RecordingSink();

    ReplaySummary summary = replay(EventLogReplayer.builder(CODEC), jsonLines(log), sink);

    assertThat(sink.sent)
        .extracting(RecordingSink.Sent::key)
        .containsExactly("r1", "r1", "u1", "r2", "r3");
    assertThat(sink.sent)
        .extracting(RecordingSink.Sent::type)
        .containsExactly(
            ReplayedType.PREDICTION,
            ReplayedType.OUTCOME,
            ReplayedType.INTERACTION,
            ReplayedType.PREDICTION,
            ReplayedType.PREDICTION);
    assertThat(sink.flushes).isEqualTo(1);
    assertThat(summary.produced())
        .containsEntry(ReplayedType.PREDICTION, 3L)
        .containsEntry(ReplayedType.OUTCOME, 1L)
        .containsEntry(ReplayedType.INTERACTION, 1L);
    assertThat(summary.rejectedLines()).isZero();
  }

  @Test
  void shouldSendTheEventJsonWithoutItsTypeKeyedAsTheContractSays() throws IOException {
    String log =
        lines(
            "{\"type\":\"interaction\",\"userId\":\"u7\",\"timestamp\":"
                + T0
                + ",\"utterance\":\"play jazz\",\"sessionId\":\"s1\",\"extra\":[1,2]}",
            "{\"type\":\"outcome\",\"requestId\":\"r9\",\"timestamp\":" + T0 + ",\"label\":0.5}");
    RecordingSink sink = new RecordingSink();

    replay(EventLogReplayer.builder(CODEC), jsonLines(log), sink);

    assertThat(sink.sent.get(0).key()).isEqualTo("u7");
    assertThat(sink.sent.get(0).value())
        .isEqualTo(
            "{\"userId\":\"u7\",\"timestamp\":"
                + T0
                + ",\"utterance\":\"play jazz\",\"sessionId\":\"s1\",\"extra\":[1,2]}");
    assertThat(sink.sent.get(1).key()).isEqualTo("r9");
    assertThat(sink.sent.get(1).value()).doesNotContain("type");
  }

  @Test
  void shouldReportEveryBadLineWithItsNumberAndReplayTheRest() throws IOException {
    String log =
        lines(
            prediction("r1", T0),
            "{\"type\":\"prediction\",\"requestId\":",
            "",
            "{\"type\":\"click\",\"requestId\":\"r2\",\"timestamp\":" + T0 + "}",
            "{\"type\":\"prediction\",\"requestId\":\"r3\",\"modelId\":\"m\",\"modelVersion\":\"v1\","
                + "\"timestamp\":"
                + T0
                + ",\"score\":1.5,\"embedding\":[1,2]}",
            "{\"requestId\":\"r4\",\"timestamp\":" + T0 + ",\"label\":1}",
            "{\"type\":\"outcome\",\"requestId\":\"r5\",\"timestamp\":-5,\"label\":1}",
            "{\"type\":\"interaction\",\"userId\":\"u\",\"timestamp\":"
                + T0
                + ",\"utterance\":\" \"}",
            outcome("r1", T0 + 10, 1));
    List<MalformedEventException> rejected = new ArrayList<>();
    RecordingSink sink = new RecordingSink();

    ReplaySummary summary =
        replay(EventLogReplayer.builder(CODEC).onRejectedLine(rejected::add), jsonLines(log), sink);

    assertThat(rejected)
        .extracting(MalformedEventException::lineNumber)
        .containsExactly(2L, 4L, 5L, 6L, 7L, 8L);
    assertThat(rejected.get(0).reason()).startsWith("malformed JSON");
    assertThat(rejected.get(1).reason()).contains("unknown type 'click'");
    assertThat(rejected.get(2).reason()).startsWith("score-out-of-range");
    assertThat(rejected.get(3).reason()).isEqualTo("missing type");
    assertThat(rejected.get(4).reason()).startsWith("timestamp-negative");
    assertThat(rejected.get(5).reason()).startsWith("empty-utterance");
    assertThat(rejected.get(0).getMessage()).startsWith("line 2: ");
    assertThat(summary.rejectedLines()).isEqualTo(6);
    assertThat(summary.linesRead()).isEqualTo(8);
    assertThat(sink.sent).extracting(RecordingSink.Sent::key).containsExactly("r1", "r1");
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 3})
  void shouldReportBadLinesInLogOrderWhateverTheNumberOfValidationThreads(int threads)
      throws IOException {
    List<String> lines = new ArrayList<>();
    List<Long> badLineNumbers = new ArrayList<>();
    for (int i = 1; i <= 5_000; i++) {
      if (i % 499 == 0) {
        lines.add("{\"type\":\"outcome\",\"requestId\":\"r" + i + "\",\"label\":1}");
        badLineNumbers.add((long) i);
      } else {
        lines.add(prediction("r" + i, T0 + (i * 7919L) % 1000));
      }
    }
    List<MalformedEventException> rejected = new ArrayList<>();
    RecordingSink sink = new RecordingSink();

    replay(
        EventLogReplayer.builder(CODEC).validationThreads(threads).onRejectedLine(rejected::add),
        jsonLines(String.join("\n", lines)),
        sink);

    assertThat(rejected).extracting(MalformedEventException::lineNumber).isEqualTo(badLineNumbers);
    assertThat(sink.sent).hasSize(5_000 - badLineNumbers.size());

    List<MalformedEventException> strictRejected = new ArrayList<>();
    assertThatThrownBy(
            () ->
                replay(
                    EventLogReplayer.builder(CODEC)
                        .validationThreads(threads)
                        .strict(true)
                        .onRejectedLine(strictRejected::add),
                    jsonLines(String.join("\n", lines)),
                    new RecordingSink()))
        .isInstanceOf(MalformedEventException.class)
        .hasMessageStartingWith("line 499: missing-field: timestamp");
    assertThat(strictRejected).hasSize(1);
  }

  @Test
  void shouldStopAtTheFirstBadLineWithNothingSentWhenStrict() {
    String log = lines(prediction("r1", T0), prediction("r2", T0), "not json", "also not json");
    List<MalformedEventException> rejected = new ArrayList<>();
    RecordingSink sink = new RecordingSink();

    assertThatThrownBy(
            () ->
                replay(
                    EventLogReplayer.builder(CODEC).strict(true).onRejectedLine(rejected::add),
                    jsonLines(log),
                    sink))
        .isInstanceOf(MalformedEventException.class)
        .hasMessageStartingWith("line 3: ");
    assertThat(rejected).hasSize(1);
    assertThat(sink.sent).isEmpty();
    assertThat(sink.flushes).isZero();
  }

  @Test
  void shouldReplayCsvWithAHeaderForOneDeclaredType() throws IOException {
    Path csv = dir.resolve("outcomes.csv");
    Files.writeString(
        csv,
        "requestId,timestamp,label\n"
            + "r2,"
            + (T0 + 20)
            + ",0\n"
            + "r1,"
            + (T0 + 10)
            + ",1\n"
            + "r3,"
            + T0
            + ",2\n"
            + "r4,"
            + T0
            + "\n");
    List<MalformedEventException> rejected = new ArrayList<>();
    RecordingSink sink = new RecordingSink();

    try (EventLogReader reader = EventLogReader.open(csv, EventLogReader.Format.CSV, "outcome")) {
      EventLogReplayer.builder(CODEC).onRejectedLine(rejected::add).build().replay(reader, sink);
    }

    assertThat(sink.sent).extracting(RecordingSink.Sent::key).containsExactly("r1", "r2");
    assertThat(sink.sent)
        .extracting(RecordingSink.Sent::value)
        .containsExactly(
            "{\"requestId\":\"r1\",\"timestamp\":" + (T0 + 10) + ",\"label\":1}",
            "{\"requestId\":\"r2\",\"timestamp\":" + (T0 + 20) + ",\"label\":0}");
    assertThat(rejected).extracting(MalformedEventException::lineNumber).containsExactly(4L, 5L);
    assertThat(rejected.get(0).reason()).startsWith("label-out-of-range");
    assertThat(rejected.get(1).reason()).contains("expected 3 columns");
  }

  @Test
  void shouldReplayGzippedCsvWithATypeColumn() throws IOException {
    Path csv = dir.resolve("mixed.csv.gz");
    String content =
        "type,requestId,userId,timestamp,label,utterance\n"
            + "outcome,r1,,"
            + (T0 + 5)
            + ",1,\n"
            + "interaction,,u1,"
            + T0
            + ",,\"play \"\"jazz\"\", please\"\n";
    try (GZIPOutputStream out = new GZIPOutputStream(Files.newOutputStream(csv))) {
      out.write(content.getBytes(StandardCharsets.UTF_8));
    }
    RecordingSink sink = new RecordingSink();

    try (EventLogReader reader = EventLogReader.open(csv)) {
      EventLogReplayer.builder(CODEC).build().replay(reader, sink);
    }

    assertThat(sink.sent).extracting(RecordingSink.Sent::key).containsExactly("u1", "r1");
    assertThat(sink.sent.get(0).value()).contains("\"utterance\":\"play \\\"jazz\\\", please\"");
  }

  @Test
  void shouldPaceEventsAtNTimesTheLogsOwnPace() throws IOException {
    AtomicLong clock = new AtomicLong(TimeUnit.SECONDS.toNanos(5));
    long start = clock.get();
    List<Long> sleeps = new ArrayList<>();
    String log =
        lines(
            prediction("r3", T0 + 3_000),
            prediction("r1", T0),
            prediction("r2", T0 + 1_000),
            prediction("r4", T0 + 3_000));
    RecordingSink sink = new RecordingSink(clock::get);

    replay(
        EventLogReplayer.builder(CODEC)
            .speed(ReplaySpeed.times(2))
            .clock(
                clock::get,
                nanos -> {
                  sleeps.add(nanos);
                  clock.addAndGet(nanos);
                }),
        jsonLines(log),
        sink);

    assertThat(sink.sent)
        .extracting(sent -> TimeUnit.NANOSECONDS.toMillis(sent.sentAtNanos() - start))
        .containsExactly(0L, 500L, 1500L, 1500L);
    assertThat(sleeps).as("long waits are sliced").allMatch(n -> n <= 100_000_000L);
  }

  @Test
  void shouldSortALogLargerThanItsMemoryBudgetThroughRunsOnDisk() throws IOException {
    List<String> shuffled = new ArrayList<>();
    java.util.Random random = new java.util.Random(3);
    for (int i = 0; i < 2_000; i++) {
      shuffled.add(prediction("r" + i, T0 + random.nextInt(1_000)));
    }
    RecordingSink sink = new RecordingSink();

    ReplaySummary summary =
        replay(
            EventLogReplayer.builder(CODEC).sortMemoryBytes(32 * 1024).spillDirectory(dir),
            jsonLines(String.join("\n", shuffled)),
            sink);

    assertThat(summary.spilledRuns()).isGreaterThan(5);
    assertThat(sink.sent).hasSize(2_000);
    List<long[]> order = new ArrayList<>();
    for (RecordingSink.Sent sent : sink.sent) {
      long timestamp = CODEC.prediction(sent.value().getBytes(StandardCharsets.UTF_8)).timestamp();
      order.add(new long[] {timestamp, Long.parseLong(sent.key().substring(1))});
    }
    for (int i = 1; i < order.size(); i++) {
      long[] before = order.get(i - 1);
      long[] after = order.get(i);
      assertThat(before[0] < after[0] || (before[0] == after[0] && before[1] < after[1]))
          .as("event %d before event %d", i - 1, i)
          .isTrue();
    }
    try (var left = Files.list(dir)) {
      assertThat(left).as("runs deleted").isEmpty();
    }
  }

  private static ReplaySummary replay(
      EventLogReplayer.Builder builder, EventLogReader reader, RecordingSink sink)
      throws IOException {
    try (reader) {
      return builder.build().replay(reader, sink);
    }
  }

  private static EventLogReader jsonLines(String text) throws IOException {
    return EventLogReader.read(
        new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)),
        EventLogReader.Format.JSON_LINES,
        null);
  }

  private static String lines(String... lines) {
    return String.join("\n", lines) + "\n";
  }

  static String prediction(String requestId, long timestamp) {
    return "{\"type\":\"prediction\",\"requestId\":\""
        + requestId
        + "\",\"modelId\":\"m\",\"modelVersion\":\"v1\",\"timestamp\":"
        + timestamp
        + ",\"score\":0.25,\"embedding\":[0.5,-1.0,2.0]}";
  }

  static String outcome(String requestId, long timestamp, int label) {
    return "{\"type\":\"outcome\",\"requestId\":\""
        + requestId
        + "\",\"timestamp\":"
        + timestamp
        + ",\"label\":"
        + label
        + "}";
  }

  static String interaction(String userId, long timestamp, String utterance) {
    return "{\"type\":\"interaction\",\"userId\":\""
        + userId
        + "\",\"timestamp\":"
        + timestamp
        + ",\"utterance\":\""
        + utterance
        + "\"}";
  }
}
