package io.hindsight.markov;

import java.util.Arrays;

/**
 * Stateless; callers own the arrays (and their thread). Distinct-user counters packed into one
 * {@code int[]} per state.
 *
 * <p>Each segment is a bottom-k sketch (k minimum values): the k smallest distinct 31-bit hashes of
 * the user ids seen, kept sorted. Below k users the count is exact (up to 31-bit hash collisions,
 * negligible at these sizes); from k users on it is the estimate {@code (k-1) / (k-th smallest hash
 * / 2^31)}, which is never below k-1, so any minimum-user threshold below k is decided exactly.
 * Layout: {@code [len_0, h.., len_1, h.., ...]}; segment 0 holds the users of the state, segment
 * {@code i+1} those of its {@code i}-th successor. One array instead of one object per transition
 * keeps a state with a few successors to a few dozen bytes.
 */
final class PackedUserSketches {

  private static final double HASH_RANGE = 0x1p31;

  private PackedUserSketches() {}

  /** A packed array with one segment holding one user. */
  static int[] single(int userHash) {
    return new int[] {1, userHash};
  }

  /** Offset of segment {@code index}'s length slot. */
  static int offsetOf(int[] packed, int index) {
    int offset = 0;
    for (int i = 0; i < index; i++) {
      offset += 1 + packed[offset];
    }
    return offset;
  }

  /**
   * Adds {@code userHash} to segment {@code index}. Returns the (possibly new) array, the same
   * instance when the user was already counted or falls outside the bottom k.
   */
  static int[] add(int[] packed, int index, int userHash, int k) {
    int offset = offsetOf(packed, index);
    int length = packed[offset];
    int from = offset + 1;
    int position = Arrays.binarySearch(packed, from, from + length, userHash);
    if (position >= 0) {
      return packed;
    }
    int insertAt = -position - 1;
    if (length < k) {
      int[] grown = new int[packed.length + 1];
      System.arraycopy(packed, 0, grown, 0, insertAt);
      grown[insertAt] = userHash;
      System.arraycopy(packed, insertAt, grown, insertAt + 1, packed.length - insertAt);
      grown[offset] = length + 1;
      return grown;
    }
    int end = from + length;
    if (insertAt == end) {
      return packed; // larger than the k smallest: not part of the sketch
    }
    // Full: drop the largest hash, shift the tail of the segment right by one.
    System.arraycopy(packed, insertAt, packed, insertAt + 1, end - 1 - insertAt);
    packed[insertAt] = userHash;
    return packed;
  }

  /** Appends a new segment holding one user. */
  static int[] appendSegment(int[] packed, int userHash) {
    int[] grown = Arrays.copyOf(packed, packed.length + 2);
    grown[packed.length] = 1;
    grown[packed.length + 1] = userHash;
    return grown;
  }

  /** Removes segment {@code index}. */
  static int[] removeSegment(int[] packed, int index) {
    int offset = offsetOf(packed, index);
    int span = 1 + packed[offset];
    int[] shrunk = new int[packed.length - span];
    System.arraycopy(packed, 0, shrunk, 0, offset);
    System.arraycopy(packed, offset + span, shrunk, offset, packed.length - offset - span);
    return shrunk;
  }

  /** Distinct users of segment {@code index}: exact below k, the bottom-k estimate from k on. */
  static long distinctUsers(int[] packed, int index, int k) {
    int offset = offsetOf(packed, index);
    int length = packed[offset];
    if (length < k) {
      return length;
    }
    double kthSmallest = (packed[offset + length] + 1.0) / HASH_RANGE;
    return Math.max(length, Math.round((k - 1) / kthSmallest));
  }

  /** A well-mixed 31-bit non-negative hash of a user id (FNV-1a then a 64-bit finalizer). */
  static int userHash(String userId) {
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < userId.length(); i++) {
      h ^= userId.charAt(i);
      h *= 0x100000001b3L;
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return (int) (h >>> 33);
  }
}
