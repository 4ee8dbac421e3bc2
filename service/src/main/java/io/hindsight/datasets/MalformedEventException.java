package io.hindsight.datasets;

/** A line of an event log that is not a valid event, for callers that read strictly. */
public final class MalformedEventException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final long lineNumber;
  private final String reason;

  public MalformedEventException(long lineNumber, String reason) {
    super("line " + lineNumber + ": " + reason);
    this.lineNumber = lineNumber;
    this.reason = reason;
  }

  /** 1-based line number of the bad line. */
  public long lineNumber() {
    return lineNumber;
  }

  /** Why the line was rejected. */
  public String reason() {
    return reason;
  }
}
