package io.hindsight.datasets;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import java.util.zip.GZIPInputStream;

/**
 * Reads an event log line by line without ever throwing on bad data: each non-blank line becomes a
 * {@link LogLine} holding either the parsed event or the reason it was rejected (malformed UTF-8 or
 * JSON, not an object, missing or wrong type, wrong CSV column count, overlong line), so a caller
 * can count and skip bad lines or, through {@link LogLine#eventOrThrow()}, stop at the first one.
 * I/O failures (including a corrupt gzip stream) are thrown as {@link UncheckedIOException}.
 *
 * <p>Formats: JSON Lines (one object per line, each with a textual {@code type}), or CSV with a
 * header line holding the events of one type, named by a {@code type} column or declared by the
 * caller. Gzip is detected from the content, whatever the file name. Single use, not thread-safe.
 *
 * <p>CSV values: an empty cell omits the field; a cell starting with {@code [} or <code>{</code> is
 * JSON (an embedding, a features map); the columns in {@link #NUMERIC_CSV_COLUMNS} are numbers
 * (integral values as integers); every other cell is a string, so ids stay strings. Quoted cells
 * follow RFC 4180 (doubled quotes) but must not span lines.
 */
public final class EventLogReader implements Closeable, Iterable<LogLine> {

  /** The two supported layouts. */
  public enum Format {
    JSON_LINES,
    CSV;

    /** CSV when the name ends in {@code .csv} or {@code .csv.gz}, JSON Lines otherwise. */
    public static Format of(Path path) {
      String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
      return name.endsWith(".csv") || name.endsWith(".csv.gz") ? CSV : JSON_LINES;
    }
  }

  /** CSV columns read as numbers; the numeric fields of the event contract. */
  public static final Set<String> NUMERIC_CSV_COLUMNS =
      Set.of(
          "timestamp",
          "score",
          "label",
          "compensatedScore",
          "delta",
          "evidence",
          "confidence",
          "sourceSuccess",
          "targetSuccess",
          "support",
          "updatedAt");

  /** Lines longer than this are rejected (and skipped) rather than buffered. */
  public static final int MAX_LINE_BYTES = 16 << 20;

  private static final String TYPE = "type";
  private static final int BUFFER_BYTES = 1 << 16;
  private static final Pattern INTEGRAL = Pattern.compile("-?\\d{1,18}");
  private static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .build();

  private final InputStream in;
  private final Format format;
  private final String declaredType;
  private final CharsetDecoder utf8 =
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT);

  private final byte[] chunk = new byte[BUFFER_BYTES];
  private int chunkPosition;
  private int chunkLimit;
  private byte[] line = new byte[256];
  private int lineLength;
  private boolean lineTooLong;
  private long lineNumber;

  private List<String> header;
  private int typeColumn = -1;
  private boolean iteratorHandedOut;

  private EventLogReader(InputStream in, Format format, String declaredType) throws IOException {
    this.in = in;
    this.format = format;
    this.declaredType = declaredType;
    if (format == Format.CSV) {
      readHeader();
    }
  }

  /** Opens a file, choosing the format by {@link Format#of(Path)}; types come from the data. */
  public static EventLogReader open(Path path) throws IOException {
    return open(path, Format.of(path), null);
  }

  /**
   * Opens a file in the given format.
   *
   * @param declaredType the type of every event (set where the data has none; a line whose own type
   *     differs is rejected), or null to take types from the data
   * @throws IOException if the file cannot be read, or a CSV header is unusable (no {@code type}
   *     column and no declared type, empty or duplicate column names)
   */
  public static EventLogReader open(Path path, Format format, String declaredType)
      throws IOException {
    InputStream in = Files.newInputStream(path);
    try {
      return read(in, format, declaredType);
    } catch (IOException | RuntimeException e) {
      in.close();
      throw e;
    }
  }

  /** Reads from a stream (gzip detected); closing the reader closes the stream. */
  public static EventLogReader read(InputStream in, Format format, String declaredType)
      throws IOException {
    return new EventLogReader(decompressed(in), format, declaredType);
  }

  /** The lines of the log, in file order. May be called once. */
  @Override
  public Iterator<LogLine> iterator() {
    if (iteratorHandedOut) {
      throw new IllegalStateException("an EventLogReader can be iterated once");
    }
    iteratorHandedOut = true;
    return new Iterator<>() {
      private LogLine next;

      @Override
      public boolean hasNext() {
        if (next == null) {
          next = nextLine();
        }
        return next != null;
      }

      @Override
      public LogLine next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        LogLine result = next;
        next = null;
        return result;
      }
    };
  }

  /** The lines of the log as a sequential stream; closing the stream closes the reader. */
  public Stream<LogLine> lines() {
    Spliterator<LogLine> spliterator =
        Spliterators.spliteratorUnknownSize(iterator(), Spliterator.ORDERED | Spliterator.NONNULL);
    return StreamSupport.stream(spliterator, false).onClose(this::closeUnchecked);
  }

  /** The events of the log, strictly: the stream throws {@link MalformedEventException}. */
  public Stream<ObjectNode> events() {
    return lines().map(LogLine::eventOrThrow);
  }

  /** Number of physical lines read so far, including blank and rejected ones and a CSV header. */
  public long lineNumber() {
    return lineNumber;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }

  private void closeUnchecked() {
    try {
      close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private LogLine nextLine() {
    try {
      while (readPhysicalLine()) {
        LogLine parsed = parseCurrentLine();
        if (parsed != null) {
          return parsed;
        }
      }
      return null;
    } catch (IOException e) {
      throw new UncheckedIOException("reading line " + (lineNumber + 1), e);
    }
  }

  /** Null for a blank line. */
  private LogLine parseCurrentLine() {
    if (lineTooLong) {
      return LogLine.ofError(lineNumber, "line longer than " + MAX_LINE_BYTES + " bytes");
    }
    String text;
    try {
      text = decodeCurrentLine();
    } catch (CharacterCodingException e) {
      return LogLine.ofError(lineNumber, "malformed UTF-8");
    }
    if (text.isBlank()) {
      return null;
    }
    return format == Format.CSV ? parseCsvRow(text) : parseJsonLine(text);
  }

  private LogLine parseJsonLine(String text) {
    JsonNode node;
    try {
      node = MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      return LogLine.ofError(lineNumber, "malformed JSON: " + firstLine(e.getOriginalMessage()));
    }
    if (!node.isObject()) {
      return LogLine.ofError(lineNumber, "not a JSON object");
    }
    ObjectNode event = (ObjectNode) node;
    JsonNode type = event.get(TYPE);
    if (type == null && declaredType != null) {
      event.put(TYPE, declaredType);
      return LogLine.ofEvent(lineNumber, event);
    }
    return typeError(type == null || !type.isTextual() ? null : type.textValue())
        .orElse(LogLine.ofEvent(lineNumber, event));
  }

  private LogLine parseCsvRow(String text) {
    List<String> cells;
    try {
      cells = CsvLine.split(text);
    } catch (IllegalArgumentException e) {
      return LogLine.ofError(lineNumber, e.getMessage());
    }
    if (cells.size() != header.size()) {
      return LogLine.ofError(
          lineNumber, "expected " + header.size() + " columns, found " + cells.size());
    }
    ObjectNode event = MAPPER.createObjectNode();
    String type =
        typeColumn >= 0 && !cells.get(typeColumn).isEmpty() ? cells.get(typeColumn) : null;
    if (type == null) {
      type = declaredType;
    }
    Optional<LogLine> typeError = typeError(type);
    if (typeError.isPresent()) {
      return typeError.get();
    }
    event.put(TYPE, type);
    for (int c = 0; c < cells.size(); c++) {
      String column = header.get(c);
      String cell = cells.get(c);
      if (c == typeColumn || cell.isEmpty()) {
        continue;
      }
      String error = putCsvValue(event, column, cell);
      if (error != null) {
        return LogLine.ofError(lineNumber, "column '" + column + "': " + error);
      }
    }
    return LogLine.ofEvent(lineNumber, event);
  }

  /** Null when the value was stored, otherwise the reason it could not be. */
  private static String putCsvValue(ObjectNode event, String column, String cell) {
    char first = cell.charAt(0);
    if (first == '[' || first == '{') {
      try {
        event.set(column, MAPPER.readTree(cell));
        return null;
      } catch (JsonProcessingException e) {
        return "malformed JSON: " + firstLine(e.getOriginalMessage());
      }
    }
    if (NUMERIC_CSV_COLUMNS.contains(column)) {
      String trimmed = cell.strip();
      if (INTEGRAL.matcher(trimmed).matches()) {
        event.put(column, Long.parseLong(trimmed));
        return null;
      }
      try {
        double value = Double.parseDouble(trimmed);
        if (!Double.isFinite(value)) {
          return "not a finite number: " + cell;
        }
        event.put(column, value);
        return null;
      } catch (NumberFormatException e) {
        return "not a number: " + cell;
      }
    }
    event.put(column, cell);
    return null;
  }

  /** Empty when {@code type} (the line's own, or null) is acceptable under the declared type. */
  private Optional<LogLine> typeError(String type) {
    if (type == null || type.isBlank()) {
      return Optional.of(LogLine.ofError(lineNumber, "missing type"));
    }
    if (declaredType != null && !declaredType.equals(type)) {
      return Optional.of(
          LogLine.ofError(
              lineNumber, "type '" + type + "' differs from declared type '" + declaredType + "'"));
    }
    return Optional.empty();
  }

  private void readHeader() throws IOException {
    while (readPhysicalLine()) {
      String text;
      try {
        text = decodeCurrentLine();
      } catch (CharacterCodingException e) {
        throw new IOException("CSV header (line " + lineNumber + ") is not valid UTF-8", e);
      }
      if (lineTooLong) {
        throw new IOException("CSV header (line " + lineNumber + ") is too long");
      }
      if (text.isBlank()) {
        continue;
      }
      List<String> names = new ArrayList<>();
      for (String name : CsvLine.split(text)) {
        names.add(name.strip());
      }
      Set<String> seen = new HashSet<>();
      for (String name : names) {
        if (name.isEmpty() || !seen.add(name)) {
          throw new IOException("CSV header has an empty or duplicate column name: " + names);
        }
      }
      header = List.copyOf(names);
      typeColumn = header.indexOf(TYPE);
      if (typeColumn < 0 && declaredType == null) {
        throw new IOException("CSV header has no 'type' column and no type was declared");
      }
      return;
    }
    header = List.of(); // an empty file: no rows follow
  }

  private String decodeCurrentLine() throws CharacterCodingException {
    String text = utf8.decode(ByteBuffer.wrap(line, 0, lineLength)).toString();
    if (lineNumber == 1 && text.startsWith("\uFEFF")) {
      text = text.substring(1);
    }
    return text;
  }

  /**
   * Reads the next physical line (without its terminator, LF or CRLF) into {@code line}; false at
   * the end of input. Reads raw bytes so malformed UTF-8 is reported for exactly one line.
   */
  private boolean readPhysicalLine() throws IOException {
    lineLength = 0;
    lineTooLong = false;
    boolean sawAnything = false;
    while (true) {
      if (chunkPosition == chunkLimit) {
        chunkLimit = in.read(chunk);
        chunkPosition = 0;
        if (chunkLimit <= 0) {
          chunkLimit = 0;
          break;
        }
      }
      sawAnything = true;
      int start = chunkPosition;
      while (chunkPosition < chunkLimit && chunk[chunkPosition] != '\n') {
        chunkPosition++;
      }
      append(start, chunkPosition);
      if (chunkPosition < chunkLimit) {
        chunkPosition++; // the '\n'
        break;
      }
    }
    if (!sawAnything) {
      return false;
    }
    if (lineLength > 0 && line[lineLength - 1] == '\r') {
      lineLength--;
    }
    lineNumber++;
    return true;
  }

  private void append(int from, int to) {
    int count = to - from;
    if (lineTooLong || lineLength + count > MAX_LINE_BYTES) {
      lineTooLong = true;
      return;
    }
    if (lineLength + count > line.length) {
      line = Arrays.copyOf(line, Math.max(line.length * 2, lineLength + count));
    }
    System.arraycopy(chunk, from, line, lineLength, count);
    lineLength += count;
  }

  private static InputStream decompressed(InputStream raw) throws IOException {
    BufferedInputStream buffered = new BufferedInputStream(raw, BUFFER_BYTES);
    buffered.mark(2);
    int first = buffered.read();
    int second = buffered.read();
    buffered.reset();
    boolean gzip = first == 0x1f && second == 0x8b;
    return gzip ? new GZIPInputStream(buffered, BUFFER_BYTES) : buffered;
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "unknown error";
    }
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }
}
