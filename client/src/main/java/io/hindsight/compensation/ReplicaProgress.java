package io.hindsight.compensation;

import java.nio.ByteBuffer;

/**
 * A task's word on the labelled-samples topic that it has published every sample of a model whose
 * effective time is at or before {@code through}, and has no prediction at or before it left to
 * read (see {@link AttributionBuffer#replicaThrough}): records of one model share a partition, so
 * every replica reads this after those samples. {@code idle} says both of the task's inputs are
 * idle, so replicas stop waiting for it. {@code tasks} is how many tasks publish (the joined
 * inputs' partitions), so that a replica waits also for a task that has not spoken yet; 0 when
 * unknown. {@code deferredFrom} is the time of the task's earliest prediction still waiting for a
 * replica (none: {@link Long#MAX_VALUE}): a replica that takes the task over reads it again, so no
 * replica applies samples due at or after it. Binary: a format byte no sample starts with, then the
 * fields (the first format ends after {@code idle}).
 */
record ReplicaProgress(int source, long through, boolean idle, int tasks, long deferredFrom) {
  static final byte FORMAT = (byte) 'P';
  private static final int FIRST_SIZE = 1 + Integer.BYTES + Long.BYTES + 1;
  private static final int SIZE = FIRST_SIZE + Integer.BYTES + Long.BYTES;

  ReplicaProgress(int source, long through, boolean idle, int tasks) {
    this(source, through, idle, tasks, Long.MAX_VALUE);
  }

  byte[] encode() {
    return ByteBuffer.allocate(SIZE)
        .put(FORMAT)
        .putInt(source)
        .putLong(through)
        .put((byte) (idle ? 1 : 0))
        .putInt(tasks)
        .putLong(deferredFrom)
        .array();
  }

  static boolean isEncoded(byte[] bytes) {
    return (bytes.length == SIZE || bytes.length == FIRST_SIZE) && bytes[0] == FORMAT;
  }

  static ReplicaProgress decode(byte[] bytes) {
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    if (buffer.get() != FORMAT) {
      throw new IllegalArgumentException("Not a progress record");
    }
    int source = buffer.getInt();
    long through = buffer.getLong();
    boolean idle = buffer.get() == 1;
    return buffer.hasRemaining()
        ? new ReplicaProgress(source, through, idle, buffer.getInt(), buffer.getLong())
        : new ReplicaProgress(source, through, idle, 0);
  }
}
