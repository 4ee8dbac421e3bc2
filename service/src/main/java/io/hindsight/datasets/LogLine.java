package io.hindsight.datasets;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One non-blank line of an event log as read by {@link EventLogReader}: either the parsed event or
 * the reason it could not be parsed, with its 1-based physical line number either way.
 *
 * @param lineNumber 1-based line number in the (decompressed) file
 * @param event the parsed event, with a textual {@code type}; null when {@code error} is set
 * @param error why the line was rejected; null when {@code event} is set
 */
public record LogLine(long lineNumber, ObjectNode event, String error) {

  public LogLine {
    if ((event == null) == (error == null)) {
      throw new IllegalArgumentException("exactly one of event and error must be set");
    }
  }

  static LogLine ofEvent(long lineNumber, ObjectNode event) {
    return new LogLine(lineNumber, event, null);
  }

  static LogLine ofError(long lineNumber, String error) {
    return new LogLine(lineNumber, null, error);
  }

  /** Whether the line was rejected. */
  public boolean isError() {
    return error != null;
  }

  /**
   * The event, for callers that want a bad line to stop them.
   *
   * @throws MalformedEventException naming the line and reason if the line was rejected
   */
  public ObjectNode eventOrThrow() {
    if (error != null) {
      throw new MalformedEventException(lineNumber, error);
    }
    return event;
  }
}
