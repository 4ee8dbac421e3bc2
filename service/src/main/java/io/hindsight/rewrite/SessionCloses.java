package io.hindsight.rewrite;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.TreeSet;

/**
 * The open sessions by close time, on the heap: derived from the sessions store, so it has no
 * changelog and is rebuilt when the task starts. Ordered by close time, then by the user's UTF-8
 * bytes, so sessions due together close in the same order everywhere. Every turn removes and adds
 * an entry: comparing a long first costs a fraction of comparing byte keys.
 */
final class SessionCloses {
  private final TreeSet<Due> due = new TreeSet<>();

  private record Due(long closeAt, byte[] user) implements Comparable<Due> {
    Due(long closeAt, String user) {
      this(closeAt, user.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public int compareTo(Due other) {
      int byTime = Long.compare(closeAt, other.closeAt);
      return byTime != 0 ? byTime : Arrays.compareUnsigned(user, other.user);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Due other && compareTo(other) == 0;
    }

    @Override
    public int hashCode() {
      return Long.hashCode(closeAt) * 31 + Arrays.hashCode(user);
    }
  }

  void add(long closeAt, String user) {
    due.add(new Due(closeAt, user));
  }

  void remove(long closeAt, String user) {
    due.remove(new Due(closeAt, user));
  }

  /** Removes and returns the user of the first session closing before {@code time}, or null. */
  String pollBefore(long time) {
    if (due.isEmpty() || due.first().closeAt() >= time) {
      return null;
    }
    return new String(due.pollFirst().user(), StandardCharsets.UTF_8);
  }

  void clear() {
    due.clear();
  }
}
