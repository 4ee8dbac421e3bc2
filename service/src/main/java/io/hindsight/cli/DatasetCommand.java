package io.hindsight.cli;

import io.hindsight.datasets.MovieLensAdapter;
import io.hindsight.datasets.SessionSimulator;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code hindsight dataset}: turns public data into event logs that {@code replay} accepts. */
@Command(
    name = "dataset",
    mixinStandardHelpOptions = true,
    description =
        "Turn public data into Hindsight event logs (JSON Lines, gzip if FILE ends in .gz).",
    subcommands = {DatasetCommand.MovieLens.class, DatasetCommand.Sessions.class})
public final class DatasetCommand implements Runnable {

  static final String SHARED_DATA = "../shared/data/";

  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** {@code hindsight dataset movielens}. */
  @Command(
      name = "movielens",
      mixinStandardHelpOptions = true,
      description = {
        "Train a matrix-factorisation model on MovieLens ratings before --train-until, freeze it,"
            + " and write every later rating as a prediction (its score and hidden vector) and an"
            + " outcome (rating >= 4) one second later.",
        "Prints the base model's metrics on the served ratings."
      })
  static final class MovieLens implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(
        names = "--ratings",
        paramLabel = "FILE",
        defaultValue = SHARED_DATA + "movielens-latest-small/ratings.csv",
        description = "userId,movieId,rating,timestamp CSV (default ${DEFAULT-VALUE}).")
    Path ratings;

    @Option(
        names = "--movies",
        paramLabel = "FILE",
        description = "movieId,title,genres CSV: genres become each prediction's features.")
    Path movies;

    @Option(
        names = "--train-until",
        paramLabel = "DATE",
        defaultValue = "2016-01-01",
        description =
            "First day (UTC, yyyy-mm-dd) served rather than trained on (default ${DEFAULT-VALUE}).")
    LocalDate trainUntil;

    @Option(
        names = "--out",
        required = true,
        paramLabel = "FILE",
        description = "Event log to write.")
    Path out;

    @Option(
        names = "--dim",
        paramLabel = "N",
        defaultValue = "" + MovieLensAdapter.DEFAULT_DIM,
        description = "Factor (and embedding) dimension (default ${DEFAULT-VALUE}).")
    int dim;

    @Option(
        names = "--seed",
        paramLabel = "S",
        defaultValue = "" + MovieLensAdapter.DEFAULT_SEED,
        description = "Seed of the model's training (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(
        names = "--hidden",
        paramLabel = "KIND",
        defaultValue = "CONCATENATION",
        description =
            "Hidden vector published as the embedding: CONCATENATION [p_u, q_i] keeps the item half"
                + " for users the model never saw; PRODUCT p_u*q_i is zero for them (default"
                + " ${DEFAULT-VALUE}).")
    MovieLensAdapter.HiddenVector hidden;

    @Override
    public Integer call() {
      PrintWriter err = spec.commandLine().getErr();
      if (!readable(ratings, err) || (movies != null && !readable(movies, err))) {
        return ReplayCommand.FAILED;
      }
      MovieLensAdapter adapter;
      try {
        adapter =
            MovieLensAdapter.builder(ratings)
                .movies(movies)
                .trainUntil(trainUntil)
                .dim(dim)
                .seed(seed)
                .hiddenVector(hidden)
                .build();
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
      }
      try {
        MovieLensAdapter.Summary summary = adapter.writeLog(out);
        Console.announce(summary.toText());
        Console.announce("wrote " + out);
        return 0;
      } catch (IOException e) {
        err.println("cannot write the MovieLens event log: " + e.getMessage());
        return ReplayCommand.FAILED;
      }
    }
  }

  /** {@code hindsight dataset sessions}. */
  @Command(
      name = "sessions",
      mixinStandardHelpOptions = true,
      description = {
        "Simulate voice-assistant users speaking real utterances, some systematically"
            + " misrecognized with real misspellings, and write their turns as interactions.",
        "--truth receives the misrecognitions spoken at least once (source<TAB>target,"
            + " normalized): the rewrites an ideal learner finds. The sessions are simulated."
      })
  static final class Sessions implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(
        names = "--utterances",
        paramLabel = "FILE",
        defaultValue = SHARED_DATA + "utterances/snips-2017-utterances.tsv",
        description = "intent<TAB>utterance file (default ${DEFAULT-VALUE}).")
    Path utterances;

    @Option(
        names = "--misspellings",
        paramLabel = "FILE",
        defaultValue = SHARED_DATA + "misspellings/codespell-dictionary.txt",
        description = "codespell wrong->right dictionary (default ${DEFAULT-VALUE}).")
    Path misspellings;

    @Option(
        names = "--out",
        required = true,
        paramLabel = "FILE",
        description = "Event log to write.")
    Path out;

    @Option(
        names = "--truth",
        required = true,
        paramLabel = "FILE",
        description = "Truth pairs to write (TSV, no header).")
    Path truth;

    @Option(
        names = "--users",
        paramLabel = "N",
        defaultValue = "500",
        description = "Simulated users (default ${DEFAULT-VALUE}).")
    int users;

    @Option(
        names = "--days",
        paramLabel = "D",
        defaultValue = "7",
        description = "Simulated days (default ${DEFAULT-VALUE}).")
    int days;

    @Option(
        names = "--seed",
        paramLabel = "S",
        defaultValue = "42",
        description = "Seed of every random choice (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(
        names = "--turns-per-user-per-day",
        paramLabel = "T",
        defaultValue = "4",
        description = "Mean requests each user starts per day (default ${DEFAULT-VALUE}).")
    double turnsPerUserPerDay;

    @Option(
        names = "--catalog-size",
        paramLabel = "N",
        defaultValue = "400",
        description =
            "Distinct utterances users choose from (default ${DEFAULT-VALUE}); above the"
                + " source's size, same-intent utterances are spliced at word boundaries.")
    int catalogSize;

    @Option(
        names = "--zipf-exponent",
        paramLabel = "S",
        defaultValue = "1.0",
        description = "Zipf exponent of request popularity (default ${DEFAULT-VALUE}).")
    double zipfExponent;

    @Option(
        names = "--misrecognized-fraction",
        paramLabel = "P",
        defaultValue = "0.2",
        description =
            "Share of the catalog systematically misrecognized (default ${DEFAULT-VALUE}).")
    double misrecognizedFraction;

    @Option(
        names = "--rare-misrecognition",
        paramLabel = "P",
        defaultValue = "0",
        description =
            "Chance a correctly recognized request is misheard once, any word, any of its"
                + " misspellings: the long tail (default ${DEFAULT-VALUE}).")
    double rareMisrecognition;

    @Override
    public Integer call() {
      PrintWriter err = spec.commandLine().getErr();
      SessionSimulator simulator;
      try {
        simulator =
            SessionSimulator.builder()
                .utterances(utterances)
                .misspellings(misspellings)
                .users(users)
                .days(days)
                .seed(seed)
                .turnsPerUserPerDay(turnsPerUserPerDay)
                .catalogSize(catalogSize)
                .splice(true)
                .zipfExponent(zipfExponent)
                .misrecognizedFraction(misrecognizedFraction)
                .rareMisrecognitionProbability(rareMisrecognition)
                .build();
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
      } catch (IOException e) {
        err.println("cannot read the simulation's inputs: " + e.getMessage());
        return ReplayCommand.FAILED;
      }
      // The simulator falls back to small built-in samples; say so rather than surprise anyone.
      if (simulator.usesBuiltInUtterances()) {
        err.println(utterances + " not found: using the built-in sample of utterances");
      }
      if (simulator.usesBuiltInMisspellings()) {
        err.println(misspellings + " not found: using the built-in sample of misspellings");
      }
      try {
        SessionSimulator.Summary summary = simulator.writeLog(out, truth);
        Console.announce(summary.toText());
        Console.announce("wrote " + out + " and " + truth);
        return 0;
      } catch (IOException e) {
        err.println("cannot write the simulated sessions: " + e.getMessage());
        return ReplayCommand.FAILED;
      }
    }
  }

  private static boolean readable(Path file, PrintWriter err) {
    if (Files.isReadable(file)) {
      return true;
    }
    err.println("cannot read " + file);
    return false;
  }
}
