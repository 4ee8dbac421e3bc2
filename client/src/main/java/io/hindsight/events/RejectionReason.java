package io.hindsight.events;

/** Why a record went to the dead-letter topic; {@link #code()} is the header value. */
public enum RejectionReason {
  MALFORMED_JSON("malformed-json"),
  INVALID_UTF8("invalid-utf8"),
  RECORD_TOO_LARGE("record-too-large"),
  MISSING_FIELD("missing-field"),
  WRONG_TYPE("wrong-type"),
  NOT_FINITE("not-finite"),
  SCORE_OUT_OF_RANGE("score-out-of-range"),
  LABEL_OUT_OF_RANGE("label-out-of-range"),
  TIMESTAMP_NEGATIVE("timestamp-negative"),
  TIMESTAMP_IN_FUTURE("timestamp-in-future"),
  EMBEDDING_DIMENSION_MISMATCH("embedding-dimension-mismatch"),
  UNKNOWN_SIGNAL("unknown-signal"),
  EMPTY_UTTERANCE("empty-utterance"),
  DUPLICATE_PREDICTION("duplicate-prediction"),
  ORPHAN_OUTCOME("orphan-outcome"),
  DUPLICATE_OUTCOME("duplicate-outcome"),
  LATE_OUTCOME("late-outcome"),
  PROCESSING_ERROR("processing-error");

  private final String code;

  RejectionReason(String code) {
    this.code = code;
  }

  public String code() {
    return code;
  }
}
