package io.hindsight.markov;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Single-writer, not thread-safe: one stream task owns an instance, and its readers (solver,
 * policy, punctuator) run on that task's thread. Pooled reformulation counts over normalized
 * utterances, the transition counts of the absorbing chain of {@code design.md} §3.
 *
 * <p>For a finished chain u1→…→un ending in SUCCESS or FAILURE it counts c(u_i→u_{i+1}) and
 * c(u_n→SUCCESS) or c(u_n→FAILURE); a successful single turn counts c(u→SUCCESS). n(u) is every
 * count out of u, so R_S(u) = c(u→S)/n(u) and Q(u,v) = c(u→v)/n(u).
 *
 * <ul>
 *   <li><b>Organic data only.</b> Turns on which a rewrite was applied are treatments: the caller
 *       must keep them out of chains (they go to {@link RuleBook#recordApplication}).
 *   <li><b>Bounded successors.</b> At most {@link ChainSettings#maxSuccessors()} per state; a new
 *       successor of a full state evicts the one with the smallest count (the oldest among ties).
 *       Evicted mass stays in n(u), so it behaves as a leak to FAILURE: P_S(u) can only be
 *       underestimated by eviction.
 *   <li><b>Distinct users.</b> Per state and per kept transition, a bottom-k sketch of hashed user
 *       ids (see {@link ChainSettings#supportSketchSize()}): exact below k users, an estimate with
 *       relative error about 1/sqrt(k) above. User support is never decayed.
 *   <li><b>Decay.</b> With a half-life, every count of a state is multiplied by 2^(-Δt/halfLife)
 *       when the state is next touched (event time). All counts of a state share one clock, so the
 *       ratios the solvers read are exact whenever they are read. An event older than the state's
 *       clock is added with its decayed weight.
 *   <li><b>Memory.</b> Struct-of-arrays indexed by a dense int state id, a private open-addressing
 *       index, and one packed {@code int[]} of sketches per state: no object per transition.
 *   <li><b>Bounded states.</b> {@link #evictColdStates} removes states not seen for a horizon,
 *       least supported first, never one the caller keeps (a live rule's source or target). Edges
 *       into an evicted state are removed from its predecessors with their mass left in n(p), a
 *       leak to FAILURE as for evicted successors; its id is reused by the next new state.
 *   <li><b>Snapshots.</b> {@link #write} and {@link #read} copy an instance exactly, ids and
 *       pending evictions included; where and when to keep one is the caller's business.
 * </ul>
 */
public final class ChainStatistics {

  private static final int[] NO_SUCCESSORS = new int[0];
  private static final double[] NO_COUNTS = new double[0];
  // Shared safely: PackedUserSketches only mutates full segments (k >= 2) in place.
  private static final int[] NO_USERS = {0};

  private final ChainSettings settings;
  private final int sketchSize;
  private final int maxSuccessors;
  private final double halfLifeMillis;

  private int size;
  private int liveStates;
  private long evictions;
  private int[] freeIds = new int[0];
  private int freeCount;
  // Evicted since the solver last asked: it resets what it keeps for those ids.
  private int[] evictedIds = new int[0];
  private int evictedCount;
  private int[] index;
  private String[] utterances;
  private double[] successCounts;
  private double[] failureCounts;
  private double[] outgoingCounts;
  private long[] clockMillis;
  private int[][] successorIds;
  private double[][] transitionCounts;
  private int[][] userSketches;
  private int[][] predecessorIds;
  private long[] lastSeenMillis;

  public ChainStatistics(ChainSettings settings) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.sketchSize = settings.supportSketchSize();
    this.maxSuccessors = settings.maxSuccessors();
    this.halfLifeMillis = settings.halfLife().toMillis();
    int capacity = Math.max(16, settings.expectedStates());
    index = new int[tableSizeFor(capacity)];
    utterances = new String[capacity];
    successCounts = new double[capacity];
    failureCounts = new double[capacity];
    outgoingCounts = new double[capacity];
    clockMillis = halfLifeMillis > 0 ? new long[capacity] : null;
    successorIds = new int[capacity][];
    transitionCounts = new double[capacity][];
    userSketches = new int[capacity][];
    predecessorIds = new int[capacity][];
    lastSeenMillis = new long[capacity];
  }

  public ChainSettings settings() {
    return settings;
  }

  /**
   * Counts one finished chain of {@code userId}'s consecutive organic turns.
   *
   * @param utterances the turns in order, raw or normalized; turns that normalize to nothing are
   *     skipped
   * @param outcome the absorbing state the last turn moved into
   * @param timestampMillis event time of the chain (its last turn), used only for decay
   * @return the normalized states whose statistics changed, in chain order
   */
  public Set<String> recordChain(
      String userId, List<String> utterances, ChainOutcome outcome, long timestampMillis) {
    Objects.requireNonNull(userId, "userId");
    Objects.requireNonNull(outcome, "outcome");
    int[] chain = new int[utterances.size()];
    int length = 0;
    for (String utterance : utterances) {
      String state = UtteranceNormalizer.normalize(utterance);
      if (!state.isEmpty()) {
        chain[length++] = intern(state, timestampMillis);
      }
    }
    if (length == 0) {
      return Collections.emptySet();
    }
    int userHash = PackedUserSketches.userHash(userId);
    Set<String> changed = new LinkedHashSet<>();
    for (int i = 0; i < length; i++) {
      int state = chain[i];
      double weight = advanceClock(state, timestampMillis);
      userSketches[state] = PackedUserSketches.add(userSketches[state], 0, userHash, sketchSize);
      lastSeenMillis[state] = Math.max(lastSeenMillis[state], timestampMillis);
      outgoingCounts[state] += weight;
      if (i + 1 < length) {
        countTransition(state, chain[i + 1], userHash, weight);
      } else if (outcome == ChainOutcome.SUCCESS) {
        successCounts[state] += weight;
      } else {
        failureCounts[state] += weight;
      }
      changed.add(this.utterances[state]);
    }
    return changed;
  }

  /**
   * One more than the highest state id in use: ids below it may be free after evictions (their
   * utterance is null and they have no counts). {@link #liveStates()} counts the states held.
   */
  public int stateCount() {
    return size;
  }

  /** States held now: every state seen, less those evicted. */
  public int liveStates() {
    return liveStates;
  }

  /** States evicted since this instance was created. */
  public long evictions() {
    return evictions;
  }

  /**
   * Evicts states until at most {@code target} are held: among those last seen at or before {@code
   * nowMillis − horizonMillis} and not kept by {@code keep}, the fewest distinct users first
   * (counted up to {@value #EVICTION_USER_BUCKETS}), then the longest unseen, then the lowest id,
   * so that every replica evicts the same states. Stops early when no such state is left. Linear in
   * the states held, plus a sort of the cold states of the users counts it reaches.
   *
   * @return the states that lost a successor (their P_S and rules must be re-decided), sorted
   */
  public Set<String> evictColdStates(
      int target, long horizonMillis, long nowMillis, java.util.function.Predicate<String> keep) {
    Set<String> touched = new java.util.TreeSet<>();
    if (liveStates <= target) {
      return touched;
    }
    long seenBefore = nowMillis - horizonMillis;
    // Bucket the cold states by distinct users, in id order.
    int[] bucketSizes = new int[EVICTION_USER_BUCKETS + 1];
    int[] bucketOf = new int[size];
    for (int id = 0; id < size; id++) {
      bucketOf[id] = -1;
      if (utterances[id] != null
          && lastSeenMillis[id] <= seenBefore
          && !keep.test(utterances[id])) {
        int bucket = (int) Math.min(distinctUsers(id), EVICTION_USER_BUCKETS);
        bucketOf[id] = bucket;
        bucketSizes[bucket]++;
      }
    }
    for (int bucket = 0; bucket <= EVICTION_USER_BUCKETS && liveStates > target; bucket++) {
      if (bucketSizes[bucket] == 0) {
        continue;
      }
      int[] ids = new int[bucketSizes[bucket]];
      int n = 0;
      for (int id = 0; id < size; id++) {
        if (bucketOf[id] == bucket) {
          ids[n++] = id;
        }
      }
      for (int id : oldestFirst(ids)) {
        if (liveStates <= target) {
          break;
        }
        for (int predecessor : predecessorIds[id]) {
          if (predecessor != id) {
            touched.add(utterances[predecessor]);
          }
        }
        evict(id);
      }
    }
    // A predecessor evicted later in the same round is gone too.
    touched.removeIf(state -> idOf(state) < 0);
    return touched;
  }

  /** Distinct-user counts above this share one eviction bucket. */
  static final int EVICTION_USER_BUCKETS = 63;

  /** {@code ids} (ascending) ordered by last sighting, then id: a primitive sort of packed keys. */
  private int[] oldestFirst(int[] ids) {
    long oldest = Long.MAX_VALUE;
    long newest = Long.MIN_VALUE;
    for (int id : ids) {
      oldest = Math.min(oldest, lastSeenMillis[id]);
      newest = Math.max(newest, lastSeenMillis[id]);
    }
    int idBits = 32 - Integer.numberOfLeadingZeros(Math.max(1, size));
    if (newest - oldest >= 0 && 64 - Long.numberOfLeadingZeros(newest - oldest) + idBits <= 63) {
      long[] keys = new long[ids.length];
      for (int i = 0; i < ids.length; i++) {
        keys[i] = (lastSeenMillis[ids[i]] - oldest) << idBits | ids[i];
      }
      Arrays.sort(keys);
      int[] ordered = new int[ids.length];
      long mask = (1L << idBits) - 1;
      for (int i = 0; i < keys.length; i++) {
        ordered[i] = (int) (keys[i] & mask);
      }
      return ordered;
    }
    // A clock range too wide to pack: the same order, boxed.
    return Arrays.stream(ids)
        .boxed()
        .sorted(
            java.util.Comparator.<Integer>comparingLong(id -> lastSeenMillis[id])
                .thenComparingInt(id -> id))
        .mapToInt(Integer::intValue)
        .toArray();
  }

  /** Whether {@code state} (normalized) has been seen. */
  public boolean contains(String state) {
    return idOf(state) >= 0;
  }

  /** R_S(u) = c(u→SUCCESS)/n(u), the one-step success rate; 0 for an unknown state. */
  public double successRate(String state) {
    int id = idOf(state);
    return id < 0 ? 0 : successRate(id);
  }

  /** n(u) as of the state's last event (decay is applied lazily); 0 for an unknown state. */
  public double outgoingCount(String state) {
    int id = idOf(state);
    return id < 0 ? 0 : outgoingCounts[id];
  }

  /** Q(u,v) = c(u→v)/n(u); 0 when v is not a kept successor of u. */
  public double transitionProbability(String source, String target) {
    int u = idOf(source);
    int v = idOf(target);
    if (u < 0 || v < 0) {
      return 0;
    }
    int position = successorIndex(u, v);
    return position < 0 ? 0 : transitionCounts[u][position] / outgoingCounts[u];
  }

  /** The kept successors of {@code state}, in insertion order. */
  public List<String> successors(String state) {
    int id = idOf(state);
    if (id < 0) {
      return List.of();
    }
    String[] names = new String[successorIds[id].length];
    for (int i = 0; i < names.length; i++) {
      names[i] = utterances[successorIds[id][i]];
    }
    return List.of(names);
  }

  /** Distinct users who said {@code state} in a chain (see the class note on accuracy). */
  public long distinctUsers(String state) {
    int id = idOf(state);
    return id < 0 ? 0 : distinctUsers(id);
  }

  /** Distinct users who reformulated {@code source} directly into {@code target}. */
  public long distinctUsers(String source, String target) {
    int u = idOf(source);
    int v = idOf(target);
    if (u < 0 || v < 0) {
      return 0;
    }
    int position = successorIndex(u, v);
    return position < 0 ? 0 : distinctTransitionUsers(u, position);
  }

  // ---- dense-id access for the solvers and the policy (same package, same thread) ----

  int idOf(String state) {
    if (state == null) {
      return -1;
    }
    int mask = index.length - 1;
    for (int slot = mix(state.hashCode()) & mask; ; slot = (slot + 1) & mask) {
      int entry = index[slot];
      if (entry == 0) {
        return -1;
      }
      if (utterances[entry - 1].equals(state)) {
        return entry - 1;
      }
    }
  }

  String utterance(int id) {
    return utterances[id];
  }

  double successRate(int id) {
    double n = outgoingCounts[id];
    return n > 0 ? successCounts[id] / n : 0;
  }

  double successCount(int id) {
    return successCounts[id];
  }

  double failureCount(int id) {
    return failureCounts[id];
  }

  double outgoingCount(int id) {
    return outgoingCounts[id];
  }

  int successorCount(int id) {
    return successorIds[id].length;
  }

  int successorId(int id, int position) {
    return successorIds[id][position];
  }

  double transitionCount(int id, int position) {
    return transitionCounts[id][position];
  }

  /** Position of {@code target} among {@code source}'s successors, or -1. */
  int successorIndex(int source, int target) {
    int[] ids = successorIds[source];
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] == target) {
        return i;
      }
    }
    return -1;
  }

  long distinctUsers(int id) {
    return PackedUserSketches.distinctUsers(userSketches[id], 0, sketchSize);
  }

  long distinctTransitionUsers(int id, int position) {
    return PackedUserSketches.distinctUsers(userSketches[id], position + 1, sketchSize);
  }

  /** Ids evicted since the last call, each once, in eviction order; for the solver's own state. */
  int[] takeEvictedIds() {
    int[] ids = Arrays.copyOf(evictedIds, evictedCount);
    evictedCount = 0;
    return ids;
  }

  // ---- snapshots ----

  /**
   * Writes this instance as it is, ids, free ids, pending evictions and index table included, so
   * that {@link #read} gives an instance that behaves identically from here on.
   */
  public void write(SnapshotOutput out) throws java.io.IOException {
    out.writeInt(size);
    out.writeInt(liveStates);
    out.writeLong(evictions);
    out.writeInts(freeIds, freeCount);
    out.writeInts(evictedIds, evictedCount);
    out.writeInts(index);
    for (int id = 0; id < size; id++) {
      out.writeString(utterances[id]);
    }
    out.writeDoubles(successCounts, size);
    out.writeDoubles(failureCounts, size);
    out.writeDoubles(outgoingCounts, size);
    out.writeBoolean(clockMillis != null);
    if (clockMillis != null) {
      out.writeLongs(clockMillis, size);
    }
    out.writeLongs(lastSeenMillis, size);
    for (int id = 0; id < size; id++) {
      out.writeInts(successorIds[id]);
      out.writeDoubles(transitionCounts[id]);
      out.writeInts(userSketches[id]);
      out.writeInts(predecessorIds[id]);
    }
  }

  /** An instance as {@link #write} wrote it, under {@code settings} (those it was written with). */
  public static ChainStatistics read(SnapshotInput in, ChainSettings settings)
      throws java.io.IOException {
    ChainStatistics s = new ChainStatistics(settings);
    int size = in.readInt();
    s.size = size;
    s.liveStates = in.readInt();
    s.evictions = in.readLong();
    s.freeIds = in.readInts();
    s.freeCount = s.freeIds.length;
    s.evictedIds = in.readInts();
    s.evictedCount = s.evictedIds.length;
    s.index = in.readInts();
    if (Integer.bitCount(s.index.length) != 1 || s.index.length < 2L * s.liveStates) {
      throw new java.io.IOException("index table of " + s.index.length + " slots");
    }
    int capacity = Math.max(16, size);
    s.utterances = new String[capacity];
    for (int id = 0; id < size; id++) {
      s.utterances[id] = in.readString();
    }
    s.successCounts = Arrays.copyOf(readSized(in.readDoubles(), size), capacity);
    s.failureCounts = Arrays.copyOf(readSized(in.readDoubles(), size), capacity);
    s.outgoingCounts = Arrays.copyOf(readSized(in.readDoubles(), size), capacity);
    if (in.readBoolean() != (s.clockMillis != null)) {
      throw new java.io.IOException("decay clocks do not match the half-life");
    }
    if (s.clockMillis != null) {
      s.clockMillis = Arrays.copyOf(readSized(in.readLongs(), size), capacity);
    }
    s.lastSeenMillis = Arrays.copyOf(readSized(in.readLongs(), size), capacity);
    s.successorIds = new int[capacity][];
    s.transitionCounts = new double[capacity][];
    s.userSketches = new int[capacity][];
    s.predecessorIds = new int[capacity][];
    for (int id = 0; id < size; id++) {
      int[] successors = in.readInts();
      s.successorIds[id] = successors.length == 0 ? NO_SUCCESSORS : successors;
      double[] counts = in.readDoubles();
      s.transitionCounts[id] = counts.length == 0 ? NO_COUNTS : counts;
      s.userSketches[id] = in.readInts();
      int[] predecessors = in.readInts();
      s.predecessorIds[id] = predecessors.length == 0 ? NO_SUCCESSORS : predecessors;
    }
    return s;
  }

  private static double[] readSized(double[] values, int size) throws java.io.IOException {
    if (values.length != size) {
      throw new java.io.IOException(values.length + " values for " + size + " states");
    }
    return values;
  }

  private static long[] readSized(long[] values, int size) throws java.io.IOException {
    if (values.length != size) {
      throw new java.io.IOException(values.length + " values for " + size + " states");
    }
    return values;
  }

  // ---- writing ----

  /** Removes one state: edges into it, edges out of it, its counts and its index entry. */
  private void evict(int id) {
    for (int predecessor : predecessorIds[id]) {
      if (predecessor == id) {
        continue;
      }
      int position = successorIndex(predecessor, id);
      if (position >= 0) {
        // n(p) keeps the mass: a leak to FAILURE, as for an evicted successor.
        successorIds[predecessor] = without(successorIds[predecessor], position);
        transitionCounts[predecessor] = without(transitionCounts[predecessor], position);
        userSketches[predecessor] =
            PackedUserSketches.removeSegment(userSketches[predecessor], position + 1);
      }
    }
    for (int successor : successorIds[id]) {
      if (successor != id) {
        removePredecessor(successor, id);
      }
    }
    unindex(id);
    utterances[id] = null;
    successCounts[id] = 0;
    failureCounts[id] = 0;
    outgoingCounts[id] = 0;
    if (clockMillis != null) {
      clockMillis[id] = 0;
    }
    lastSeenMillis[id] = 0;
    successorIds[id] = NO_SUCCESSORS;
    transitionCounts[id] = NO_COUNTS;
    userSketches[id] = NO_USERS;
    predecessorIds[id] = NO_SUCCESSORS;
    if (freeCount == freeIds.length) {
      freeIds = Arrays.copyOf(freeIds, Math.max(16, freeCount * 2));
    }
    freeIds[freeCount++] = id;
    if (evictedCount == evictedIds.length) {
      evictedIds = Arrays.copyOf(evictedIds, Math.max(16, evictedCount * 2));
    }
    evictedIds[evictedCount++] = id;
    liveStates--;
    evictions++;
  }

  /** Backward-shift deletion from the linear-probing index, so no tombstones accumulate. */
  private void unindex(int id) {
    int mask = index.length - 1;
    int slot = mix(utterances[id].hashCode()) & mask;
    while (index[slot] != id + 1) {
      slot = (slot + 1) & mask;
    }
    int hole = slot;
    for (int next = (hole + 1) & mask; index[next] != 0; next = (next + 1) & mask) {
      int home = mix(utterances[index[next] - 1].hashCode()) & mask;
      // Move the entry back into the hole unless its home lies cyclically in (hole, next].
      boolean homeBetween =
          hole <= next ? home > hole && home <= next : home > hole || home <= next;
      if (!homeBetween) {
        index[hole] = index[next];
        hole = next;
      }
    }
    index[hole] = 0;
  }

  private void addPredecessor(int state, int predecessor) {
    int[] list = predecessorIds[state];
    int[] grown = Arrays.copyOf(list, list.length + 1);
    grown[list.length] = predecessor;
    predecessorIds[state] = grown;
  }

  private void removePredecessor(int state, int predecessor) {
    int[] list = predecessorIds[state];
    for (int i = 0; i < list.length; i++) {
      if (list[i] == predecessor) {
        predecessorIds[state] = without(list, i);
        return;
      }
    }
  }

  private void countTransition(int source, int target, int userHash, double weight) {
    int position = successorIndex(source, target);
    if (position >= 0) {
      transitionCounts[source][position] += weight;
      userSketches[source] =
          PackedUserSketches.add(userSketches[source], position + 1, userHash, sketchSize);
      return;
    }
    if (successorIds[source].length == maxSuccessors) {
      evictSmallestSuccessor(source);
    }
    addPredecessor(target, source);
    int[] ids = successorIds[source];
    int kept = ids.length;
    successorIds[source] = Arrays.copyOf(ids, kept + 1);
    successorIds[source][kept] = target;
    transitionCounts[source] = Arrays.copyOf(transitionCounts[source], kept + 1);
    transitionCounts[source][kept] = weight;
    userSketches[source] = PackedUserSketches.appendSegment(userSketches[source], userHash);
  }

  private void evictSmallestSuccessor(int source) {
    double[] counts = transitionCounts[source];
    int smallest = 0;
    for (int i = 1; i < counts.length; i++) {
      if (counts[i] < counts[smallest]) {
        smallest = i;
      }
    }
    removePredecessor(successorIds[source][smallest], source);
    successorIds[source] = without(successorIds[source], smallest);
    transitionCounts[source] = without(counts, smallest);
    userSketches[source] = PackedUserSketches.removeSegment(userSketches[source], smallest + 1);
  }

  /**
   * Moves the state's decay clock forward to {@code timestampMillis} and returns the weight of an
   * event at that time: 1, or less for an event older than the clock.
   */
  private double advanceClock(int state, long timestampMillis) {
    if (clockMillis == null) {
      return 1;
    }
    long clock = clockMillis[state];
    if (timestampMillis <= clock) {
      return Math.pow(2, -(clock - timestampMillis) / halfLifeMillis);
    }
    double factor = Math.pow(2, -(timestampMillis - clock) / halfLifeMillis);
    successCounts[state] *= factor;
    failureCounts[state] *= factor;
    outgoingCounts[state] *= factor;
    double[] counts = transitionCounts[state];
    for (int i = 0; i < counts.length; i++) {
      counts[i] *= factor;
    }
    clockMillis[state] = timestampMillis;
    return 1;
  }

  private int intern(String state, long timestampMillis) {
    int mask = index.length - 1;
    int slot = mix(state.hashCode()) & mask;
    for (int entry = index[slot]; entry != 0; entry = index[slot]) {
      if (utterances[entry - 1].equals(state)) {
        return entry - 1;
      }
      slot = (slot + 1) & mask;
    }
    int id;
    if (freeCount > 0) {
      id = freeIds[--freeCount];
    } else {
      id = size++;
      if (id == utterances.length) {
        grow();
      }
    }
    liveStates++;
    utterances[id] = state;
    predecessorIds[id] = NO_SUCCESSORS;
    lastSeenMillis[id] = timestampMillis;
    successorIds[id] = NO_SUCCESSORS;
    transitionCounts[id] = NO_COUNTS;
    userSketches[id] = NO_USERS;
    if (clockMillis != null) {
      clockMillis[id] = timestampMillis;
    }
    index[slot] = id + 1;
    if (2L * liveStates > index.length) {
      rehash(index.length * 2);
    }
    return id;
  }

  private void grow() {
    int capacity = utterances.length + (utterances.length >> 1);
    utterances = Arrays.copyOf(utterances, capacity);
    successCounts = Arrays.copyOf(successCounts, capacity);
    failureCounts = Arrays.copyOf(failureCounts, capacity);
    outgoingCounts = Arrays.copyOf(outgoingCounts, capacity);
    if (clockMillis != null) {
      clockMillis = Arrays.copyOf(clockMillis, capacity);
    }
    successorIds = Arrays.copyOf(successorIds, capacity);
    transitionCounts = Arrays.copyOf(transitionCounts, capacity);
    userSketches = Arrays.copyOf(userSketches, capacity);
    predecessorIds = Arrays.copyOf(predecessorIds, capacity);
    lastSeenMillis = Arrays.copyOf(lastSeenMillis, capacity);
  }

  private void rehash(int tableSize) {
    int[] table = new int[tableSize];
    int mask = tableSize - 1;
    for (int id = 0; id < size; id++) {
      if (utterances[id] == null) {
        continue;
      }
      int slot = mix(utterances[id].hashCode()) & mask;
      while (table[slot] != 0) {
        slot = (slot + 1) & mask;
      }
      table[slot] = id + 1;
    }
    index = table;
  }

  private static int tableSizeFor(int states) {
    int size = Integer.highestOneBit(Math.max(8, states * 2 - 1)) << 1;
    return Math.max(16, size);
  }

  private static int mix(int hash) {
    int h = hash * 0x9E3779B9;
    return h ^ (h >>> 16);
  }

  private static int[] without(int[] values, int position) {
    int[] result = new int[values.length - 1];
    System.arraycopy(values, 0, result, 0, position);
    System.arraycopy(values, position + 1, result, position, result.length - position);
    return result;
  }

  private static double[] without(double[] values, int position) {
    double[] result = new double[values.length - 1];
    System.arraycopy(values, 0, result, 0, position);
    System.arraycopy(values, position + 1, result, position, result.length - position);
    return result;
  }
}
