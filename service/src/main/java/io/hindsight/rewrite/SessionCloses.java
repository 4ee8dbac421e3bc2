package io.hindsight.rewrite;

import java.util.TreeSet;

/**
 * The open sessions by close time, on the heap (about 100 bytes per open session): derived from the
 * sessions store, so it has no changelog and is rebuilt when the task starts. Sessions due together
 * close in the order of their users' UTF-8 bytes, the same everywhere (and the order of the byte
 * keys this replaced) without encoding them. A turn moves its user's entry: comparing a long first
 * costs a fraction of comparing byte keys.
 */
final class SessionCloses {
  private final TreeSet<Due> due = new TreeSet<>();

  private record Due(long closeAt, String user) implements Comparable<Due> {
    @Override
    public int compareTo(Due other) {
      int byTime = Long.compare(closeAt, other.closeAt);
      return byTime != 0 ? byTime : compareAsUtf8(user, other.user);
    }
  }

  /**
   * Orders strings as their UTF-8 bytes would (code point order) without encoding them: UTF-16
   * order differs only where a surrogate meets a char from U+E000, so those are shifted first.
   */
  static int compareAsUtf8(String a, String b) {
    int length = Math.min(a.length(), b.length());
    for (int i = 0; i < length; i++) {
      char x = a.charAt(i);
      char y = b.charAt(i);
      if (x != y) {
        return codePointRank(x) - codePointRank(y);
      }
    }
    return a.length() - b.length();
  }

  private static int codePointRank(char c) {
    return c < Character.MIN_SURROGATE ? c : c < 0xE000 ? c + 0x2000 : c - 0x800;
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
