package io.hindsight.events;

/**
 * A record Hindsight will not process. Thrown by deserializers and processors; the dead-letter
 * handler turns it into a dead-letter record with {@link #reason()} in its headers.
 */
public final class InvalidEventException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final RejectionReason reason;
  private final String detail;

  public InvalidEventException(RejectionReason reason, String detail) {
    super(reason.code() + ": " + detail, null, false, false);
    this.reason = reason;
    this.detail = detail;
  }

  /** What is wrong, naming the field, without the reason code. */
  public String detail() {
    return detail;
  }

  public RejectionReason reason() {
    return reason;
  }
}
