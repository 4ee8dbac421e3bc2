package io.hindsight.compensation;

import io.hindsight.config.HindsightConfig;
import io.hindsight.memory.BlendSettings;
import io.hindsight.memory.CompensationMode;
import io.hindsight.memory.ErrorMemories;
import io.hindsight.memory.FieldCompensator;
import io.hindsight.memory.FieldMemories;
import io.hindsight.memory.FieldMemorySettings;
import io.hindsight.memory.GuardSettings;
import io.hindsight.memory.SketchSettings;
import java.util.List;

/** The compensation loop's settings, read once from {@link HindsightConfig}. */
public record CompensationSettings(
    long attributionWindowMs,
    long outcomeGraceMs,
    long windowLatenessMs,
    long inputIdleMs,
    long alignmentToleranceMs,
    long alignmentMaxWaitMs,
    boolean implicitNegatives,
    WriteMode writeMode,
    String memoryKind,
    int arrays,
    int bits,
    long seed,
    double tau,
    double lambda,
    double gamma,
    int minCount,
    double errorThreshold,
    long halfLifeMs,
    int featuresDimension,
    long versionExpiryMs,
    long punctuateIntervalMs,
    CompensationMode mode,
    List<String> fields,
    double fieldPriorCount,
    long fieldHalfLifeMs,
    int fieldMaxValues,
    BlendSettings blend,
    GuardSettings guard,
    List<String> entityFields,
    List<Long> entityHalfLivesMs,
    double entityPrior) {

  public CompensationSettings {
    fields = List.copyOf(fields);
    entityFields = List.copyOf(entityFields);
    entityHalfLivesMs = List.copyOf(entityHalfLivesMs);
  }

  public static CompensationSettings from(HindsightConfig c) {
    return new CompensationSettings(
        c.getLong(HindsightConfig.COMPENSATION_ATTRIBUTION_WINDOW_MS),
        c.getLong(HindsightConfig.COMPENSATION_OUTCOME_GRACE_MS),
        c.getLong(HindsightConfig.COMPENSATION_WINDOW_LATENESS_MS),
        c.getLong(HindsightConfig.COMPENSATION_INPUT_IDLE_MS),
        c.getLong(HindsightConfig.COMPENSATION_ALIGNMENT_TOLERANCE_MS),
        c.getLong(HindsightConfig.COMPENSATION_ALIGNMENT_MAX_WAIT_MS),
        c.getBoolean(HindsightConfig.COMPENSATION_IMPLICIT_NEGATIVES),
        WriteMode.fromConfig(c.getString(HindsightConfig.COMPENSATION_WRITE_MODE)),
        c.getString(HindsightConfig.COMPENSATION_MEMORY_STORE),
        c.getInt(HindsightConfig.COMPENSATION_MEMORY_ARRAYS),
        c.getInt(HindsightConfig.COMPENSATION_MEMORY_BITS),
        c.getLong(HindsightConfig.COMPENSATION_MEMORY_SEED),
        c.getDouble(HindsightConfig.COMPENSATION_TAU),
        c.getDouble(HindsightConfig.COMPENSATION_LAMBDA),
        c.getDouble(HindsightConfig.COMPENSATION_GAMMA),
        c.getInt(HindsightConfig.COMPENSATION_MEMORY_MIN_COUNT),
        c.getDouble(HindsightConfig.COMPENSATION_MEMORY_ERROR_THRESHOLD),
        c.getLong(HindsightConfig.COMPENSATION_MEMORY_HALF_LIFE_MS),
        c.getInt(HindsightConfig.COMPENSATION_FEATURES_DIMENSION),
        c.getLong(HindsightConfig.COMPENSATION_VERSION_EXPIRY_MS),
        c.getLong(HindsightConfig.COMPENSATION_PUNCTUATE_INTERVAL_MS),
        CompensationMode.fromConfig(c.getString(HindsightConfig.COMPENSATION_MODE)),
        c.getList(HindsightConfig.COMPENSATION_FIELDS).stream().map(String::trim).toList(),
        c.getDouble(HindsightConfig.COMPENSATION_FIELD_PRIOR_COUNT),
        c.getLong(HindsightConfig.COMPENSATION_FIELD_HALF_LIFE_MS),
        c.getInt(HindsightConfig.COMPENSATION_FIELD_MAX_VALUES),
        new BlendSettings(
            c.getDouble(HindsightConfig.COMPENSATION_BLEND_LEARNING_RATE),
            c.getDouble(HindsightConfig.COMPENSATION_BLEND_BETA),
            c.getDouble(HindsightConfig.COMPENSATION_BLEND_L1),
            c.getDouble(HindsightConfig.COMPENSATION_BLEND_L2)),
        new GuardSettings(
            c.getLong(HindsightConfig.COMPENSATION_GUARD_HALF_LIFE_MS),
            c.getDouble(HindsightConfig.COMPENSATION_GUARD_MIN_WEIGHT),
            c.getDouble(HindsightConfig.COMPENSATION_GUARD_TOLERANCE)),
        c.getList(HindsightConfig.COMPENSATION_ENTITY_FIELDS).stream().map(String::trim).toList(),
        c.getList(HindsightConfig.COMPENSATION_ENTITY_HALF_LIVES_MS).stream()
            .map(h -> Long.parseLong(h.trim()))
            .toList(),
        c.getDouble(HindsightConfig.COMPENSATION_ENTITY_PRIOR));
  }

  /** The sketch for a model whose keys have {@code dimension} components. */
  public SketchSettings sketch(int dimension) {
    return new SketchSettings(
        arrays, bits, dimension, seed, tau, lambda, gamma, minCount, errorThreshold, halfLifeMs);
  }

  /** The settings of the memory of declared field {@code field}. */
  public FieldMemorySettings field(String field) {
    return new FieldMemorySettings(field, fieldPriorCount, fieldHalfLifeMs, fieldMaxValues);
  }

  /**
   * The field memories' implementation: on the heap when the sketch is ({@code onheap}, tests),
   * else a Chronicle Map beside the sketch's file.
   */
  public String fieldMemoryKind() {
    return memoryKind.equals(ErrorMemories.ON_HEAP)
        ? FieldMemories.ON_HEAP
        : FieldMemories.CHRONICLE;
  }

  /** A new compensator (blend and guard) for one model version, in its initial state. */
  public FieldCompensator newCompensator() {
    return new FieldCompensator(mode, lambda, fields, entityMemoryNames(), blend, guard);
  }

  /**
   * Every keyed memory of a model version, in the order the compensator reads their estimates: the
   * declared fields' memories, then the entity memories (one per entity field and half-life).
   */
  public List<FieldMemorySettings> keyedMemories() {
    List<FieldMemorySettings> memories = new java.util.ArrayList<>();
    fields.forEach(f -> memories.add(field(f)));
    List<String> names = entityMemoryNames();
    for (int e = 0; e < names.size(); e++) {
      memories.add(
          new FieldMemorySettings(
              names.get(e),
              entityPrior,
              entityHalfLivesMs.get(e % entityHalfLivesMs.size()),
              fieldMaxValues));
    }
    return memories;
  }

  /** The prediction field each of {@link #keyedMemories} reads its value from. */
  public List<String> keyedMemorySources() {
    List<String> sources = new java.util.ArrayList<>(fields);
    for (String field : entityFields) {
      entityHalfLivesMs.forEach(h -> sources.add(field));
    }
    return sources;
  }

  /** Whether keyed memory {@code m} is an entity memory (written in logit units). */
  public boolean isEntityMemory(int m) {
    return m >= fields.size();
  }

  /** The fields whose values a sample carries: the declared fields and the entity fields. */
  public List<String> valueFields() {
    return keyedMemorySources().stream().distinct().toList();
  }

  /** Entity memory names: {@code entity:FIELD@HALF_LIFE} (half-life in ms, or {@code none}). */
  public List<String> entityMemoryNames() {
    List<String> names = new java.util.ArrayList<>();
    for (String field : entityFields) {
      for (long h : entityHalfLivesMs) {
        names.add("entity:" + field + "@" + (h == 0 ? "none" : Long.toString(h)));
      }
    }
    return names;
  }

  /** A copy with other values for some keys, for tests and evaluations. */
  public CompensationSettings withMode(CompensationMode value) {
    return new CompensationSettings(
        attributionWindowMs,
        outcomeGraceMs,
        windowLatenessMs,
        inputIdleMs,
        alignmentToleranceMs,
        alignmentMaxWaitMs,
        implicitNegatives,
        writeMode,
        memoryKind,
        arrays,
        bits,
        seed,
        tau,
        lambda,
        gamma,
        minCount,
        errorThreshold,
        halfLifeMs,
        featuresDimension,
        versionExpiryMs,
        punctuateIntervalMs,
        value,
        fields,
        fieldPriorCount,
        fieldHalfLifeMs,
        fieldMaxValues,
        blend,
        guard,
        entityFields,
        entityHalfLivesMs,
        entityPrior);
  }
}
