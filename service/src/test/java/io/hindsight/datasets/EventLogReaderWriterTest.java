package io.hindsight.datasets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EventLogReaderWriterTest {

  @TempDir Path dir;

  @Test
  void shouldRoundTripEventsThroughAGzippedLog() throws IOException {
    Path log = dir.resolve("nested/events.jsonl.gz");
    ObjectNode prediction = EventLogWriter.newEvent("prediction");
    prediction.put("requestId", "r1").put("timestamp", 1_700_000_000_000L).put("score", 0.31);
    prediction.putArray("embedding").add(0.1).add(-0.2);
    ObjectNode outcome = EventLogWriter.newEvent("outcome");
    outcome.put("requestId", "r1").put("timestamp", 1_700_000_001_000L).put("label", 1);

    try (EventLogWriter writer = EventLogWriter.open(log)) {
      writer.write(prediction);
      writer.write(outcome);
      assertThat(writer.written()).isEqualTo(2);
    }

    try (InputStream raw = new GZIPInputStream(Files.newInputStream(log))) {
      String text = new String(raw.readAllBytes(), StandardCharsets.UTF_8);
      assertThat(text.lines()).hasSize(2).allMatch(line -> line.startsWith("{\"type\":"));
    }
    try (EventLogReader reader = EventLogReader.open(log)) {
      List<LogLine> lines = reader.lines().collect(Collectors.toList());
      assertThat(lines).extracting(LogLine::lineNumber).containsExactly(1L, 2L);
      assertThat(lines).extracting(LogLine::event).containsExactly(prediction, outcome);
    }
  }

  @Test
  void shouldRejectAnEventWithoutType() throws IOException {
    try (EventLogWriter writer = EventLogWriter.to(new ByteArrayOutputStream())) {
      assertThatThrownBy(
              () ->
                  writer.write(
                      new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode()))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void shouldReportEachBadLineWithItsNumberAndKeepReading() throws IOException {
    byte[] badUtf8 = {'{', '"', 't', 'y', 'p', 'e', '"', ':', '"', (byte) 0xC3, '"', '}', '\n'};
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    bytes.writeBytes(
        ("{\"type\":\"outcome\",\"requestId\":\"r1\",\"label\":1}\r\n"
                + "\n"
                + "{\"type\":\"outcome\",\"requestId\":\n"
                + "[1,2]\n"
                + "{\"requestId\":\"r2\"}\n"
                + "{\"type\":\"outcome\"} trailing\n")
            .getBytes(StandardCharsets.UTF_8));
    bytes.writeBytes(badUtf8);
    bytes.writeBytes(
        "{\"type\":\"outcome\",\"requestId\":\"r3\"}".getBytes(StandardCharsets.UTF_8));

    List<LogLine> lines = readAll(bytes.toByteArray(), EventLogReader.Format.JSON_LINES, null);

    assertThat(lines).extracting(LogLine::lineNumber).containsExactly(1L, 3L, 4L, 5L, 6L, 7L, 8L);
    assertThat(lines.get(0).isError()).isFalse();
    assertThat(lines.get(1).error()).startsWith("malformed JSON");
    assertThat(lines.get(2).error()).isEqualTo("not a JSON object");
    assertThat(lines.get(3).error()).isEqualTo("missing type");
    assertThat(lines.get(4).error()).startsWith("malformed JSON");
    assertThat(lines.get(5).error()).isEqualTo("malformed UTF-8");
    assertThat(lines.get(6).event().path("requestId").asText()).isEqualTo("r3");
    assertThatThrownBy(lines.get(1)::eventOrThrow)
        .isInstanceOf(MalformedEventException.class)
        .hasMessageStartingWith("line 3: malformed JSON");
  }

  @Test
  void shouldApplyADeclaredTypeToJsonLines() throws IOException {
    byte[] data =
        "{\"requestId\":\"r1\"}\n{\"type\":\"prediction\",\"requestId\":\"r2\"}\n"
            .getBytes(StandardCharsets.UTF_8);

    List<LogLine> lines = readAll(data, EventLogReader.Format.JSON_LINES, "outcome");

    assertThat(lines.get(0).event().path("type").asText()).isEqualTo("outcome");
    assertThat(lines.get(1).error()).contains("differs from declared type 'outcome'");
  }

  @Test
  void shouldReadCsvWithATypeColumnAndTypedValues() throws IOException {
    String csv =
        "type,requestId,timestamp,score,embedding,userId\n"
            + "prediction,007,1700000000000,0.25,\"[0.1,-0.2]\",\"Smith, J\"\n"
            + "prediction,008,1700000000001,high,,u2\n"
            + "prediction,009,1700000000002\n"
            + "prediction,\"010,1,0.5,,u3\n";

    List<LogLine> lines =
        readAll(csv.getBytes(StandardCharsets.UTF_8), EventLogReader.Format.CSV, null);

    ObjectNode first = lines.get(0).event();
    assertThat(first.path("type").asText()).isEqualTo("prediction");
    assertThat(first.path("requestId").isTextual()).isTrue();
    assertThat(first.path("requestId").asText()).isEqualTo("007");
    assertThat(first.path("timestamp").isIntegralNumber()).isTrue();
    assertThat(first.path("timestamp").asLong()).isEqualTo(1_700_000_000_000L);
    assertThat(first.path("score").asDouble()).isEqualTo(0.25);
    assertThat(first.path("embedding").size()).isEqualTo(2);
    assertThat(first.path("userId").asText()).isEqualTo("Smith, J");
    assertThat(lines.get(1).error()).isEqualTo("column 'score': not a number: high");
    assertThat(lines.get(2).error()).isEqualTo("expected 6 columns, found 3");
    assertThat(lines.get(3).error()).startsWith("unterminated quoted cell");
    assertThat(lines).extracting(LogLine::lineNumber).containsExactly(2L, 3L, 4L, 5L);
  }

  @Test
  void shouldReadGzippedCsvOfADeclaredType() throws IOException {
    ByteArrayOutputStream compressed = new ByteArrayOutputStream();
    try (GZIPOutputStream gzip = new GZIPOutputStream(compressed)) {
      gzip.write(
          "\uFEFFrequestId,timestamp,label\nr1,1700000001000,1\n".getBytes(StandardCharsets.UTF_8));
    }

    List<LogLine> lines = readAll(compressed.toByteArray(), EventLogReader.Format.CSV, "outcome");

    assertThat(lines).hasSize(1);
    assertThat(lines.get(0).event().toString())
        .isEqualTo(
            "{\"type\":\"outcome\",\"requestId\":\"r1\",\"timestamp\":1700000001000,\"label\":1}");
  }

  @Test
  void shouldRefuseACsvWhoseTypeIsUnknown() {
    byte[] data = "requestId,label\nr1,1\n".getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(
            () ->
                EventLogReader.read(
                    new ByteArrayInputStream(data), EventLogReader.Format.CSV, null))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("no 'type' column");
  }

  @Test
  void shouldChooseTheFormatFromTheFileName() {
    assertThat(EventLogReader.Format.of(Path.of("a/outcomes.csv.gz")))
        .isEqualTo(EventLogReader.Format.CSV);
    assertThat(EventLogReader.Format.of(Path.of("a/log.jsonl.gz")))
        .isEqualTo(EventLogReader.Format.JSON_LINES);
  }

  private static List<LogLine> readAll(byte[] data, EventLogReader.Format format, String type)
      throws IOException {
    try (EventLogReader reader =
        EventLogReader.read(new ByteArrayInputStream(data), format, type)) {
      return reader.lines().collect(Collectors.toList());
    }
  }
}
