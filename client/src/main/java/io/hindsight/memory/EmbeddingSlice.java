package io.hindsight.memory;

import java.util.Locale;

/**
 * Which components of a prediction's embedding an entity-conditioned correction regresses on
 * (configuration {@code compensation.entity.embedding}); immutable.
 *
 * <p>A per-entity regression gains nothing from the entity's own half of a concatenated embedding
 * ({@code [p_user, q_item]}): it is constant within the entity and only repeats the entity's bias.
 * So {@code all} is always safe; a half ({@code first-half}, {@code second-half}) or a range {@code
 * FROM:TO} (0-based, TO exclusive) only saves memory when the layout is known.
 *
 * @param spec the configured text, kept for reports
 */
public record EmbeddingSlice(String spec, Kind kind, int from, int to) {

  /** How the slice is chosen. */
  public enum Kind {
    ALL,
    FIRST_HALF,
    SECOND_HALF,
    RANGE
  }

  /** The whole embedding. */
  public static final EmbeddingSlice ALL = new EmbeddingSlice("all", Kind.ALL, 0, 0);

  /**
   * Parses {@code all}, {@code first-half}, {@code second-half} or {@code FROM:TO}.
   *
   * @throws IllegalArgumentException naming the accepted forms
   */
  public static EmbeddingSlice parse(String spec) {
    String s = spec == null ? "" : spec.trim().toLowerCase(Locale.ROOT);
    switch (s) {
      case "all":
        return ALL;
      case "first-half":
        return new EmbeddingSlice(s, Kind.FIRST_HALF, 0, 0);
      case "second-half":
        return new EmbeddingSlice(s, Kind.SECOND_HALF, 0, 0);
      default:
        String[] parts = s.split(":", -1);
        if (parts.length == 2) {
          try {
            int from = Integer.parseInt(parts[0].trim());
            int to = Integer.parseInt(parts[1].trim());
            if (from >= 0 && to > from) {
              return new EmbeddingSlice(s, Kind.RANGE, from, to);
            }
          } catch (NumberFormatException e) {
            // reported below
          }
        }
        throw new IllegalArgumentException(
            "embedding slice must be all, first-half, second-half or FROM:TO with 0 <= FROM < TO,"
                + " was '"
                + spec
                + "'");
    }
  }

  /** The first component taken from an embedding of {@code dimension} components. */
  public int start(int dimension) {
    return switch (kind) {
      case ALL, FIRST_HALF -> 0;
      case SECOND_HALF -> dimension / 2;
      case RANGE -> Math.min(from, dimension);
    };
  }

  /** One past the last component taken from an embedding of {@code dimension} components. */
  public int end(int dimension) {
    return switch (kind) {
      case ALL, SECOND_HALF -> dimension;
      case FIRST_HALF -> dimension / 2;
      case RANGE -> Math.min(to, dimension);
    };
  }

  /** How many components are taken from an embedding of {@code dimension} components. */
  public int width(int dimension) {
    return end(dimension) - start(dimension);
  }

  /** The slice's components of {@code embedding} as doubles (empty for a null embedding). */
  public double[] select(float[] embedding) {
    if (embedding == null) {
      return new double[0];
    }
    int start = start(embedding.length);
    double[] x = new double[end(embedding.length) - start];
    for (int i = 0; i < x.length; i++) {
      x[i] = embedding[start + i];
    }
    return x;
  }

  @Override
  public String toString() {
    return spec;
  }
}
