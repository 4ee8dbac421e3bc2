package io.hindsight.datasets;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/**
 * Writes an event log: JSON Lines, one event object per line with its {@code type} field, UTF-8,
 * gzip-compressed when the file name ends in {@code .gz}. Events are written in the order given;
 * producers that want a replayable log give them in event-time order. Not thread-safe.
 */
public final class EventLogWriter implements Closeable {

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final int BUFFER_BYTES = 1 << 16;

  private final JsonGenerator generator;
  private long written;
  private boolean closed;

  private EventLogWriter(OutputStream out) throws IOException {
    this.generator = MAPPER.getFactory().createGenerator(out, JsonEncoding.UTF8);
    // Lines are separated by the '\n' written after each event, not by Jackson's default space.
    this.generator.setRootValueSeparator(null);
  }

  /**
   * Opens {@code path} for writing, replacing any existing file and creating missing parent
   * folders; gzip when the name ends in {@code .gz}.
   */
  public static EventLogWriter open(Path path) throws IOException {
    Path parent = path.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    OutputStream out = Files.newOutputStream(path);
    try {
      if (isGzip(path)) {
        out = new GZIPOutputStream(out, BUFFER_BYTES);
      }
      return new EventLogWriter(new BufferedOutputStream(out, BUFFER_BYTES));
    } catch (IOException | RuntimeException e) {
      out.close();
      throw e;
    }
  }

  /** Writes to {@code out}, uncompressed; closing the writer closes {@code out}. */
  public static EventLogWriter to(OutputStream out) throws IOException {
    return new EventLogWriter(out);
  }

  /** A new empty event of the given type, to fill and pass to {@link #write}. */
  public static ObjectNode newEvent(String type) {
    ObjectNode event = MAPPER.createObjectNode();
    event.put("type", type);
    return event;
  }

  /**
   * Appends one event as one line.
   *
   * @throws IllegalArgumentException if {@code event} is not an object with a textual {@code type}
   */
  public void write(JsonNode event) throws IOException {
    if (!event.isObject() || !event.path("type").isTextual()) {
      throw new IllegalArgumentException("an event is a JSON object with a textual type: " + event);
    }
    MAPPER.writeTree(generator, event);
    generator.writeRaw('\n');
    written++;
  }

  /** Number of events written so far. */
  public long written() {
    return written;
  }

  /** Flushes buffered lines to the underlying stream. */
  public void flush() throws IOException {
    generator.flush();
  }

  /** Flushes and closes the file (finishing the gzip trailer). Idempotent. */
  @Override
  public void close() throws IOException {
    if (!closed) {
      closed = true;
      generator.close();
    }
  }

  static boolean isGzip(Path path) {
    return path.getFileName().toString().endsWith(".gz");
  }
}
