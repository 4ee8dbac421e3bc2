package io.hindsight.compensation;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Which labelled samples a memory replica may apply, so that a prediction is compensated from the
 * samples whose effective time (window close, or outcome in eager mode) is before its own, as
 * {@code evaluate} does, however far apart the tasks that publish them run. Per model: each
 * publishing task's {@link ReplicaProgress}, the time through which every task has published
 * (complete), and the samples received beyond it, held back. Samples are released in (effective
 * time, requestId, memory) order, which depends only on the data: every replica, restart and replay
 * applies them in the same order. A sample that arrives at or before the complete time (from a task
 * that was idle, or read late) is due just after it, a time fixed by its position in its partition.
 * A prediction still waiting to be compensated when its sample is due has its sample published
 * without the blend's features, and the features later, for the blend alone: the memories take the
 * sample in its place, the blend learns from it where the features arrive. Not thread-safe; {@link
 * ErrorMemoryStore} guards it.
 */
final class ReplicaAlignment {
  private static final int FORMAT = 4;

  /**
   * A held sample; {@code blendOnly} for features that came after their sample was applied, {@code
   * featuresPending} for a sample published before its prediction was scored (see below).
   */
  record Held(Sample sample, boolean blendOnly, boolean featuresPending) {
    Held(Sample sample, boolean blendOnly) {
      this(sample, blendOnly, false);
    }

    String id() {
      return sample.memoryName() + '\u0000' + sample.requestId();
    }
  }

  private record Key(long effective, String requestId, String memory, boolean blendOnly)
      implements Comparable<Key> {
    @Override
    public int compareTo(Key o) {
      int c = Long.compare(effective, o.effective);
      if (c == 0) {
        c = requestId.compareTo(o.requestId);
      }
      if (c == 0) {
        c = memory.compareTo(o.memory);
      }
      return c != 0 ? c : Boolean.compare(blendOnly, o.blendOnly);
    }
  }

  private static final class Model {
    final Map<Integer, ReplicaProgress> sources = new HashMap<>();

    /** How many tasks publish: one that has not spoken yet holds the complete time back. */
    int tasks;

    long complete = Long.MIN_VALUE;
    final TreeMap<Key, Held> held = new TreeMap<>();

    /** Held samples waiting for their features, by {@link Held#id}. */
    final Map<String, Key> pending = new HashMap<>();

    void recompute(String modelId, LocalReads local) {
      for (int task = 0; task < tasks; task++) {
        if (!sources.containsKey(task)) {
          return;
        }
      }
      long slowest = Long.MAX_VALUE;
      long fastest = Long.MIN_VALUE;
      long deferred = Long.MAX_VALUE;
      for (ReplicaProgress p : sources.values()) {
        fastest = Math.max(fastest, p.through());
        if (!p.idle()) {
          slowest = Math.min(slowest, p.through());
        }
        long from = local.earliestRead(modelId, p.source()).orElse(p.deferredFrom());
        if (from != Long.MAX_VALUE) {
          deferred = Math.min(deferred, from - 1);
        }
      }
      // Idle tasks publish nothing new: with every task idle, all that was published is complete.
      long candidate = Math.min(slowest == Long.MAX_VALUE ? fastest : slowest, deferred);
      complete = Math.max(complete, candidate);
    }
  }

  /** The reads that hold this replica back, as the replica knows them. */
  interface LocalReads {
    /**
     * The time of the task's earliest read of the model that holds this replica back ({@link
     * Long#MAX_VALUE} for none), or empty to go by the task's published {@link
     * ReplicaProgress#deferredFrom}.
     */
    java.util.OptionalLong earliestRead(String modelId, int task);
  }

  private final Map<String, Model> models = new HashMap<>();
  private final LocalReads local;
  private long lateSamples;

  ReplicaAlignment(LocalReads local) {
    this.local = local;
  }

  ReplicaAlignment() {
    this((modelId, task) -> java.util.OptionalLong.empty());
  }

  /** Recomputes the complete times after this replica's local reads changed. */
  void refresh() {
    models.forEach((modelId, model) -> model.recompute(modelId, local));
  }

  void refresh(String modelId) {
    Model model = models.get(modelId);
    if (model != null) {
      model.recompute(modelId, local);
    }
  }

  /** Whether any task has published progress for this model; until then nothing is held back. */
  boolean aligned(String modelId) {
    Model model = models.get(modelId);
    return model != null && !model.sources.isEmpty();
  }

  /** The time through which every task has published this model's samples. */
  long complete(String modelId) {
    Model model = models.get(modelId);
    return model == null || model.sources.isEmpty() ? Long.MAX_VALUE : model.complete;
  }

  /** The time through which {@code source} has published this model's samples, as read here. */
  long progressOf(String modelId, int source) {
    Model model = models.get(modelId);
    ReplicaProgress progress = model == null ? null : model.sources.get(source);
    return progress == null ? Long.MIN_VALUE : progress.through();
  }

  /** Holds a sample back until it is due; call only for {@link #aligned} models. */
  void hold(Held sample, long effective) {
    Model model = models.computeIfAbsent(sample.sample().modelId(), m -> new Model());
    long due = effective;
    if (due <= model.complete) {
      due = model.complete + 1;
      lateSamples++;
    }
    Key key = key(due, sample);
    model.held.put(key, sample);
    if (sample.featuresPending()) {
      model.pending.put(sample.id(), key);
    }
  }

  /**
   * Gives a held sample that waits for its features those features.
   *
   * @return false when no held sample waits for them
   */
  boolean supplyFeatures(Sample withFeatures) {
    Model model = models.get(withFeatures.modelId());
    Held wanted = new Held(withFeatures, false);
    Key key = model == null ? null : model.pending.remove(wanted.id());
    if (key == null) {
      return false;
    }
    model.held.put(key, wanted);
    return true;
  }

  void progress(String modelId, ReplicaProgress progress) {
    Model model = models.computeIfAbsent(modelId, m -> new Model());
    ReplicaProgress previous = model.sources.get(progress.source());
    long through =
        previous == null ? progress.through() : Math.max(previous.through(), progress.through());
    model.sources.put(
        progress.source(),
        new ReplicaProgress(
            progress.source(),
            through,
            progress.idle(),
            progress.tasks(),
            progress.deferredFrom()));
    model.tasks = Math.max(model.tasks, progress.tasks());
    model.recompute(modelId, local);
  }

  /** The earliest held sample whose time every task has published through, or null. */
  Held nextDue(String modelId) {
    Model model = models.get(modelId);
    if (model == null || model.held.isEmpty()) {
      return null;
    }
    Map.Entry<Key, Held> first = model.held.firstEntry();
    // Before any task speaks for the model nothing is held back for alignment (only for features).
    long complete = model.sources.isEmpty() ? Long.MAX_VALUE : model.complete;
    return first.getKey().effective() <= complete ? first.getValue() : null;
  }

  /** The due time of {@link #nextDue}'s sample. */
  long nextDueAt(String modelId) {
    return models.get(modelId).held.firstKey().effective();
  }

  /** Removes {@link #nextDue}'s sample. */
  void removeNextDue(String modelId) {
    Model model = models.get(modelId);
    Held removed = model.held.pollFirstEntry().getValue();
    if (removed.featuresPending()) {
      model.pending.remove(removed.id());
    }
  }

  private static Key key(long effective, Held held) {
    return new Key(
        effective, held.sample().requestId(), held.sample().memoryName(), held.blendOnly());
  }

  Set<String> modelIds() {
    return models.keySet();
  }

  long held() {
    return models.values().stream().mapToLong(m -> m.held.size()).sum();
  }

  /** Samples that arrived at or before their model's complete time, and were due just after it. */
  long lateSamples() {
    return lateSamples;
  }

  void save(DataOutputStream out) throws IOException {
    out.writeInt(FORMAT);
    out.writeLong(lateSamples);
    out.writeInt(models.size());
    for (Map.Entry<String, Model> entry : models.entrySet()) {
      Model model = entry.getValue();
      out.writeUTF(entry.getKey());
      out.writeLong(model.complete);
      out.writeInt(model.tasks);
      out.writeInt(model.sources.size());
      for (ReplicaProgress p : model.sources.values()) {
        out.writeInt(p.source());
        out.writeLong(p.through());
        out.writeBoolean(p.idle());
        out.writeLong(p.deferredFrom());
      }
      out.writeInt(model.held.size());
      for (Map.Entry<Key, Held> held : model.held.entrySet()) {
        out.writeLong(held.getKey().effective());
        out.writeBoolean(held.getKey().blendOnly());
        out.writeBoolean(held.getValue().featuresPending());
        byte[] encoded = held.getValue().sample().encode();
        out.writeInt(encoded.length);
        out.write(encoded);
      }
    }
  }

  void load(DataInputStream in) throws IOException {
    int format = in.readInt();
    if (format < 2 || format > FORMAT) {
      throw new IOException("Unknown alignment format " + format);
    }
    models.clear();
    lateSamples = in.readLong();
    int count = in.readInt();
    for (int m = 0; m < count; m++) {
      Model model = new Model();
      models.put(in.readUTF(), model);
      model.complete = in.readLong();
      model.tasks = format == 2 ? 0 : in.readInt();
      int sources = in.readInt();
      for (int s = 0; s < sources; s++) {
        ReplicaProgress p =
            new ReplicaProgress(
                in.readInt(),
                in.readLong(),
                in.readBoolean(),
                model.tasks,
                format >= 4 ? in.readLong() : Long.MAX_VALUE);
        model.sources.put(p.source(), p);
      }
      int held = in.readInt();
      for (int h = 0; h < held; h++) {
        long effective = in.readLong();
        boolean blendOnly = in.readBoolean();
        boolean featuresPending = in.readBoolean();
        byte[] encoded = new byte[in.readInt()];
        in.readFully(encoded);
        Held sample = new Held(Sample.decode(encoded), blendOnly, featuresPending);
        Key key = key(effective, sample);
        model.held.put(key, sample);
        if (featuresPending) {
          model.pending.put(sample.id(), key);
        }
      }
    }
  }
}
