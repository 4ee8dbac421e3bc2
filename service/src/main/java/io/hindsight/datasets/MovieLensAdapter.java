package io.hindsight.datasets;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hindsight.evaluation.MetricsAccumulator;
import io.hindsight.evaluation.MetricsReport;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Turns MovieLens ratings into a Hindsight event log of a frozen base model's predictions and their
 * outcomes, the situation error compensation exists for: a model trained on the past, then served
 * unchanged while users, items and tastes drift.
 *
 * <p>The ratings ({@code userId,movieId,rating,timestamp}, unix seconds) are sorted by time
 * (stable, so file order breaks ties). Those before {@code trainUntil} (UTC midnight) train a
 * {@linkplain LogisticMatrixFactorization logistic matrix factorisation} {@code σ(b + b_u + b_i +
 * p_u · q_i)} on the label {@code rating ≥ 4}, by seeded SGD with L2; the model is then frozen.
 * Every later rating, in time order, becomes a {@code prediction} (requestId {@code ml-<n>}
 * numbering the test ratings from 0, modelId {@value #MODEL_ID}, modelVersion {@value
 * #MODEL_VERSION}, the rating's time in milliseconds, the model's score, userId and itemId as the
 * MovieLens ids, and as {@code embedding} the model's {@linkplain HiddenVector hidden vector}) and
 * an {@code outcome} (label 1 or 0) {@value #OUTCOME_DELAY_MILLIS} ms later. With a movies file,
 * each prediction also carries {@code features: {"genres": "Comedy|Romance"}}. Events are written
 * in timestamp order (an outcome before a prediction of the same millisecond).
 *
 * <p>The same inputs and settings give the same log, byte for byte.
 */
public final class MovieLensAdapter {

  public static final String MODEL_ID = "movielens-lmf";
  public static final String MODEL_VERSION = "v1";

  /**
   * Default end of training: in the latest-small release 79,517 ratings (1996–2015) train and
   * 21,319 (2016–2018) are served; 92 % of the served ratings are by users unseen in training,
   * because MovieLens users rate in bursts.
   */
  public static final LocalDate DEFAULT_TRAIN_UNTIL = LocalDate.of(2016, 1, 1);

  public static final long OUTCOME_DELAY_MILLIS = 1_000;
  public static final double POSITIVE_RATING = 4.0;
  public static final int DEFAULT_DIM = 16;
  public static final long DEFAULT_SEED = 42;
  public static final int DEFAULT_EPOCHS = 10;
  public static final double DEFAULT_LEARNING_RATE = 0.05;
  public static final double DEFAULT_L2 = 0.05;

  private static final double INIT_SCALE = 0.1;

  private final Path ratings;
  private final Path movies;
  private final LocalDate trainUntil;
  private final LogisticMatrixFactorization.Settings settings;
  private final HiddenVector hiddenVector;

  /** What a prediction's {@code embedding} holds. */
  public enum HiddenVector {
    /**
     * {@code p_u ⊙ q_i}, dimension {@code dim}: the elementwise product whose sum is the logit's
     * interaction term. All zeros when the user or the item is unseen, which is most served
     * ratings.
     */
    PRODUCT,
    /**
     * {@code [p_u, q_i]}, dimension {@code 2·dim}: the factors the output layer combines. An unseen
     * user still leaves the item half, so similar items find each other's errors.
     */
    CONCATENATION
  }

  private MovieLensAdapter(Builder builder) {
    this.hiddenVector = builder.hiddenVector;
    this.ratings = builder.ratings;
    this.movies = builder.movies;
    this.trainUntil = builder.trainUntil;
    this.settings =
        new LogisticMatrixFactorization.Settings(
            builder.dim,
            builder.epochs,
            builder.learningRate,
            builder.l2,
            INIT_SCALE,
            builder.seed);
  }

  /** Starts configuring an adapter over a {@code ratings.csv}. */
  public static Builder builder(Path ratings) {
    return new Builder(ratings);
  }

  /**
   * Trains the base model and writes the served period as an event log (gzip if {@code out} ends in
   * {@code .gz}).
   *
   * @return counts and the base model's metrics on the served period
   * @throws IOException if a file cannot be read or written, or a ratings row is malformed
   */
  public Summary writeLog(Path out) throws IOException {
    List<Rating> all = readRatings(ratings);
    Map<Integer, String> genres = movies == null ? Map.of() : readGenres(movies);
    long splitSeconds = trainUntil.atStartOfDay(ZoneOffset.UTC).toEpochSecond();

    List<LogisticMatrixFactorization.Example> train = new ArrayList<>();
    List<Rating> test = new ArrayList<>();
    for (Rating rating : all) {
      if (rating.timestampSeconds() < splitSeconds) {
        train.add(
            new LogisticMatrixFactorization.Example(rating.user(), rating.item(), rating.label()));
      } else {
        test.add(rating);
      }
    }
    LogisticMatrixFactorization model = LogisticMatrixFactorization.fit(train, settings);

    MetricsAccumulator metrics = new MetricsAccumulator();
    long coldUsers = 0;
    long coldItems = 0;
    double trainPositives = 0;
    for (LogisticMatrixFactorization.Example example : train) {
      trainPositives += example.label();
    }
    try (EventLogWriter writer = EventLogWriter.open(out)) {
      ArrayDeque<ObjectNode> pendingOutcomes = new ArrayDeque<>();
      for (int n = 0; n < test.size(); n++) {
        Rating rating = test.get(n);
        long time = rating.timestampSeconds() * 1000;
        // The delay is constant, so pending outcomes are already in time order.
        while (!pendingOutcomes.isEmpty()
            && pendingOutcomes.peekFirst().get("timestamp").asLong() <= time) {
          writer.write(pendingOutcomes.pollFirst());
        }
        String requestId = "ml-" + n;
        double score = model.score(rating.user(), rating.item());
        double[] hidden =
            hiddenVector == HiddenVector.PRODUCT
                ? model.hidden(rating.user(), rating.item())
                : model.factors(rating.user(), rating.item());
        writer.write(prediction(requestId, time, score, hidden, rating, genres));
        pendingOutcomes.addLast(outcome(requestId, time + OUTCOME_DELAY_MILLIS, rating.label()));
        metrics.add(Integer.toString(rating.user()), rating.label(), score);
        coldUsers += model.knowsUser(rating.user()) ? 0 : 1;
        coldItems += model.knowsItem(rating.item()) ? 0 : 1;
      }
      while (!pendingOutcomes.isEmpty()) {
        writer.write(pendingOutcomes.pollFirst());
      }
    }
    return new Summary(
        trainUntil,
        train.size(),
        test.size(),
        train.isEmpty() ? Double.NaN : trainPositives / train.size(),
        coldUsers,
        coldItems,
        metrics.report());
  }

  private static ObjectNode prediction(
      String requestId,
      long time,
      double score,
      double[] hidden,
      Rating rating,
      Map<Integer, String> genres) {
    ObjectNode event = EventLogWriter.newEvent("prediction");
    event.put("requestId", requestId);
    event.put("modelId", MODEL_ID);
    event.put("modelVersion", MODEL_VERSION);
    event.put("timestamp", time);
    event.put("score", score);
    ArrayNode embedding = event.putArray("embedding");
    for (double component : hidden) {
      // Float precision is plenty for similarity search and halves the log's size.
      embedding.add((float) component);
    }
    String itemGenres = genres.get(rating.item());
    if (itemGenres != null) {
      event.putObject("features").put("genres", itemGenres);
    }
    event.put("userId", Integer.toString(rating.user()));
    event.put("itemId", Integer.toString(rating.item()));
    return event;
  }

  private static ObjectNode outcome(String requestId, long time, double label) {
    ObjectNode event = EventLogWriter.newEvent("outcome");
    event.put("requestId", requestId);
    event.put("timestamp", time);
    event.put("label", (int) label);
    return event;
  }

  private record Rating(int user, int item, double rating, long timestampSeconds) {
    double label() {
      return rating >= POSITIVE_RATING ? 1 : 0;
    }
  }

  private static List<Rating> readRatings(Path path) throws IOException {
    List<Rating> ratings = new ArrayList<>();
    try (BufferedReader reader = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
      String line;
      long lineNumber = 0;
      while ((line = reader.readLine()) != null) {
        lineNumber++;
        if (line.isBlank() || (lineNumber == 1 && line.startsWith("userId"))) {
          continue;
        }
        String[] cells = line.split(",", -1);
        try {
          if (cells.length != 4) {
            throw new NumberFormatException("expected 4 columns, found " + cells.length);
          }
          ratings.add(
              new Rating(
                  Integer.parseInt(cells[0].strip()),
                  Integer.parseInt(cells[1].strip()),
                  Double.parseDouble(cells[2].strip()),
                  Long.parseLong(cells[3].strip())));
        } catch (NumberFormatException e) {
          throw new IOException(path + " line " + lineNumber + ": " + e.getMessage(), e);
        }
      }
    }
    ratings.sort(Comparator.comparingLong(Rating::timestampSeconds));
    return ratings;
  }

  /** movieId → genres from {@code movieId,title,genres} (titles may be quoted and hold commas). */
  private static Map<Integer, String> readGenres(Path path) throws IOException {
    Map<Integer, String> genres = new HashMap<>();
    try (BufferedReader reader = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
      String line;
      long lineNumber = 0;
      while ((line = reader.readLine()) != null) {
        lineNumber++;
        if (line.isBlank() || (lineNumber == 1 && line.startsWith("movieId"))) {
          continue;
        }
        try {
          List<String> cells = CsvLine.split(line);
          if (cells.size() != 3) {
            throw new IllegalArgumentException("expected 3 columns, found " + cells.size());
          }
          genres.put(Integer.parseInt(cells.get(0).strip()), cells.get(2));
        } catch (IllegalArgumentException e) {
          throw new IOException(path + " line " + lineNumber + ": " + e.getMessage(), e);
        }
      }
    }
    return genres;
  }

  /**
   * What {@link #writeLog} produced.
   *
   * @param trainUntil first day (UTC) served rather than trained on
   * @param trainRatings ratings the base model was trained on
   * @param testRatings ratings served: one prediction and one outcome each
   * @param trainPositiveRate share of training ratings ≥ 4
   * @param coldUserPredictions served ratings whose user the model never saw
   * @param coldItemPredictions served ratings whose movie the model never saw
   * @param test the frozen base model's metrics on the served ratings (gAUC grouped by user)
   */
  public record Summary(
      LocalDate trainUntil,
      long trainRatings,
      long testRatings,
      double trainPositiveRate,
      long coldUserPredictions,
      long coldItemPredictions,
      MetricsReport test) {

    /** A few human-readable lines for a console. */
    public String toText() {
      return String.format(
          Locale.ROOT,
          "MovieLens: trained on %d ratings before %s (%.1f%% positive), served %d"
              + " (%d cold users, %d cold items)%nbase model on served ratings: %s",
          trainRatings,
          trainUntil,
          100 * trainPositiveRate,
          testRatings,
          coldUserPredictions,
          coldItemPredictions,
          test.toLine());
    }
  }

  /** Configures a {@link MovieLensAdapter}; every setting has a default. */
  public static final class Builder {
    private final Path ratings;
    private Path movies;
    private LocalDate trainUntil = DEFAULT_TRAIN_UNTIL;
    private int dim = DEFAULT_DIM;
    private long seed = DEFAULT_SEED;
    private int epochs = DEFAULT_EPOCHS;
    private double learningRate = DEFAULT_LEARNING_RATE;
    private double l2 = DEFAULT_L2;
    private HiddenVector hiddenVector = HiddenVector.PRODUCT;

    private Builder(Path ratings) {
      this.ratings = Objects.requireNonNull(ratings, "ratings");
    }

    /** A {@code movies.csv} whose genres become each prediction's features; none by default. */
    public Builder movies(Path movies) {
      this.movies = movies;
      return this;
    }

    /** First day (UTC) served instead of trained on; default 2016-01-01. */
    public Builder trainUntil(LocalDate trainUntil) {
      this.trainUntil = Objects.requireNonNull(trainUntil, "trainUntil");
      return this;
    }

    /** Factor dimension, which is also the embedding dimension; default 16. */
    public Builder dim(int dim) {
      this.dim = dim;
      return this;
    }

    /** Seed of the initial factors and the SGD order; default 42. */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** SGD passes over the training ratings; default 10. */
    public Builder epochs(int epochs) {
      this.epochs = epochs;
      return this;
    }

    /** SGD step size; default 0.05. */
    public Builder learningRate(double learningRate) {
      this.learningRate = learningRate;
      return this;
    }

    /** L2 penalty on biases and factors; default 0.05. */
    public Builder l2(double l2) {
      this.l2 = l2;
      return this;
    }

    /** What each prediction's embedding holds; default {@link HiddenVector#PRODUCT}. */
    public Builder hiddenVector(HiddenVector hiddenVector) {
      this.hiddenVector = Objects.requireNonNull(hiddenVector, "hiddenVector");
      return this;
    }

    /**
     * @throws IllegalArgumentException if a numeric setting is out of range
     */
    public MovieLensAdapter build() {
      return new MovieLensAdapter(this);
    }
  }
}
