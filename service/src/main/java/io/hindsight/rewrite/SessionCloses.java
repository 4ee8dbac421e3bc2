package io.hindsight.rewrite;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.TreeSet;

/**
 * The open sessions by close time, on the heap (about 100 bytes per open session): derived from the
 * sessions store, so it has no changelog and is rebuilt when the task starts. Sessions due together
 * close in the order of their users' UTF-8 bytes, the same everywhere (and the order of the byte
 * keys this replaced). A turn moves its user's entry: comparing a long first costs a fraction of
 * comparing byte keys.
 */
final class SessionCloses {
  private final TreeSet<Due> due = new TreeSet<>();

  private record Due(long closeAt, String user, byte[] utf8) implements Comparable<Due> {
    Due(long closeAt, String user) {
      this(closeAt, user, user.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public int compareTo(Due other) {
      int byTime = Long.compare(closeAt, other.closeAt);
      return byTime != 0 ? byTime : Arrays.compareUnsigned(utf8, other.utf8);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Due other && compareTo(other) == 0;
    }

    @Override
    public int hashCode() {
      return Long.hashCode(closeAt) * 31 + Arrays.hashCode(utf8);
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
    return due.pollFirst().user();
  }

  void clear() {
    due.clear();
  }
}
