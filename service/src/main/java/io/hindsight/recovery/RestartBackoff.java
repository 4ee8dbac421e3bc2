package io.hindsight.recovery;

import java.util.OptionalLong;

/**
 * When to restart a failed client: after a wait that doubles with each failure in a row, up to a
 * maximum, and not at all once the attempts are spent. A client that ran for the longest wait
 * without failing starts the count again. Plain logic, no clock of its own; not thread-safe.
 */
public final class RestartBackoff {
  private final int maxAttempts;
  private final long initialMs;
  private final long maxMs;
  private int failuresInARow;
  private long runningSinceMs = Long.MIN_VALUE;

  /**
   * @param maxAttempts restarts in a row before giving up; 0 gives up at the first failure
   */
  public RestartBackoff(int maxAttempts, long initialMs, long maxMs) {
    if (maxAttempts < 0 || initialMs < 0 || maxMs < 0) {
      throw new IllegalArgumentException("attempts and waits must not be negative");
    }
    this.maxAttempts = maxAttempts;
    this.initialMs = initialMs;
    this.maxMs = Math.max(initialMs, maxMs);
  }

  /** The client reached RUNNING at {@code nowMs}. */
  public void running(long nowMs) {
    runningSinceMs = nowMs;
  }

  /**
   * The client failed at {@code nowMs}.
   *
   * @return how long to wait before restarting it, or empty when the attempts are spent
   */
  public OptionalLong failed(long nowMs) {
    if (runningSinceMs != Long.MIN_VALUE && nowMs - runningSinceMs >= maxMs) {
      failuresInARow = 0;
    }
    runningSinceMs = Long.MIN_VALUE;
    failuresInARow++;
    if (failuresInARow > maxAttempts) {
      return OptionalLong.empty();
    }
    long wait = initialMs;
    for (int doubling = 1; doubling < failuresInARow && wait < maxMs; doubling++) {
      wait = Math.min(maxMs, 2 * wait);
    }
    return OptionalLong.of(wait);
  }

  /** Failures since the client last ran for the longest wait. */
  public int failuresInARow() {
    return failuresInARow;
  }
}
