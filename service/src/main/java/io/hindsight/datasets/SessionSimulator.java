package io.hindsight.datasets;

import io.hindsight.markov.UtteranceNormalizer;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * Simulated users of a voice assistant speaking real utterances (Snips benchmark), some of which
 * the assistant systematically misrecognizes, standing in for the reformulation sessions of the
 * Alexa self-learning paper. The utterances and misspellings are real; the sessions are not.
 *
 * <p><b>World.</b> A catalog of distinct utterances (seeded sample of the source, or, for a catalog
 * larger than the source, the source plus splices of two same-intent utterances at word boundaries)
 * ranked by a seeded shuffle; users pick requests with Zipf popularity over that rank, so popular
 * requests recur across users. A fraction of the catalog is <em>misrecognized</em>: the utterance's
 * longest word with a known misspelling (codespell, inverted) is replaced by one of its
 * misspellings, and that misspelt form is what the assistant hears the first time, for every user —
 * a systematic error. {@link #truth()} maps each misspelt form to its utterance, both normalized.
 *
 * <p><b>Long tail.</b> With {@link Settings#rareMisrecognitionProbability()} above 0, a request for
 * a correctly recognized utterance is sometimes misheard once: any of its words with a known
 * misspelling, by any of them. Most such forms are heard once or a few times; those of popular
 * utterances recur across users and are then learnable (and written to the truth file).
 *
 * <p><b>Sessions.</b> Each user starts on average {@code turnsPerUserPerDay} requests a day
 * (Poisson), at uniform times at least ten minutes apart. A request for a correctly recognized
 * utterance succeeds at once. A request for a misrecognized one fails (no signal is emitted: the
 * serving side does not know), then after 2–6 s the user either repeats the correct form, which
 * succeeds, or (noise) says a different utterance of the same intent, which succeeds, or gives up
 * and ends the session. After a success the user sometimes makes an unrelated request 8–40 s later
 * in the same session. Some users speak in lower case; normalization makes that the same utterance.
 * Turns are produced in event-time order; equal timestamps keep user order.
 *
 * <p><b>Rewrites.</b> {@link #turns(Function)} takes the serving side's rewrite table as a function
 * from a normalized utterance to its normalized replacement. A turn succeeds exactly when the
 * (possibly rewritten) utterance is the normal form of what the user wants; so a rule from a
 * misspelt form to its utterance turns a failure into a first-try success (no rephrase), and a rule
 * to anything else makes a turn fail. When a rephrase fails too, the user gives up. Every random
 * choice is drawn whether used or not, so the same seed gives the same users, sessions and requests
 * with or without rules and only outcomes differ.
 *
 * <p>Deterministic for a seed; immutable and thread-safe (each iterator is single-threaded).
 */
public final class SessionSimulator {

  /** 2024-01-01T00:00:00Z, the default start of simulated time. */
  public static final long DEFAULT_START_MILLIS = 1_704_067_200_000L;

  private static final long DAY_MILLIS = 86_400_000L;
  private static final long MIN_SESSION_SPACING_MILLIS = 10 * 60_000L;
  private static final long REPHRASE_GAP_MIN_MILLIS = 2_000;
  private static final long REPHRASE_GAP_MAX_MILLIS = 6_000;
  private static final long FOLLOW_UP_GAP_MIN_MILLIS = 8_000;
  private static final long FOLLOW_UP_GAP_MAX_MILLIS = 40_000;
  private static final int MAX_REQUESTS_PER_SESSION = 3;
  private static final double LOWER_CASE_PROBABILITY = 0.3;
  private static final int MIN_MISSPELT_WORD_LENGTH = 3;

  private final Settings settings;
  private final boolean builtInUtterances;
  private final boolean builtInMisspellings;
  private final List<CatalogUtterance> catalog;
  private final double[] popularityCdf;
  private final Map<String, String> truth;
  // Normal forms of every catalog utterance and systematic misrecognition: a one-off
  // misrecognition that sounds like one of them is not a clean truth pair.
  private final Set<String> taken;
  private final MisspellingDictionary misspellings;
  private final int sourceUtterances;

  /**
   * A catalog entry with its misrecognition, if it has one. {@code sameIntent} holds the clean
   * entries of its intent (shared by every entry of that intent, so a catalog of millions stays
   * linear in memory); {@code position} is this entry's place in it, or -1.
   */
  private record CatalogUtterance(
      UtteranceCatalog.Entry entry, String misrecognizedText, int[] sameIntent, int position) {
    boolean misrecognized() {
      return misrecognizedText != null;
    }

    int alternativeCount() {
      return position < 0 ? sameIntent.length : sameIntent.length - 1;
    }

    /** The k-th clean entry of the same intent, this one excluded. */
    int alternative(int k) {
      return position < 0 || k < position ? sameIntent[k] : sameIntent[k + 1];
    }
  }

  private SessionSimulator(
      Settings settings,
      UtteranceCatalog utterances,
      MisspellingDictionary misspellings,
      boolean builtInUtterances,
      boolean builtInMisspellings) {
    this.settings = settings;
    this.builtInUtterances = builtInUtterances;
    this.builtInMisspellings = builtInMisspellings;
    SplittableRandom world = new SplittableRandom(mix(settings.seed(), 0x5EED));

    List<UtteranceCatalog.Entry> shuffled = new ArrayList<>(utterances.entries());
    Collections.shuffle(shuffled, new Random(world.nextLong()));
    this.sourceUtterances = shuffled.size();
    this.misspellings = misspellings;
    Set<String> taken = new HashSet<>();
    List<UtteranceCatalog.Entry> chosen;
    if (settings.catalogSize() <= shuffled.size() || !settings.splice()) {
      chosen = shuffled.subList(0, Math.min(settings.catalogSize(), shuffled.size()));
      chosen.forEach(entry -> taken.add(entry.normalized()));
    } else {
      chosen = new ArrayList<>(shuffled);
      chosen.forEach(entry -> taken.add(entry.normalized()));
      splice(
          shuffled, settings.catalogSize(), new SplittableRandom(world.nextLong()), taken, chosen);
    }
    List<String> misrecognized = new ArrayList<>();
    for (UtteranceCatalog.Entry entry : chosen) {
      boolean selected = world.nextDouble() < settings.misrecognizedFraction();
      long choice = world.nextLong();
      String misspelt = selected ? misspell(entry.text(), misspellings, choice) : null;
      if (misspelt != null && !taken.add(UtteranceNormalizer.normalize(misspelt))) {
        misspelt = null; // it would collide with another state: not a clean truth pair
      }
      misrecognized.add(misspelt);
    }

    Map<String, List<Integer>> cleanByIntent = new HashMap<>();
    for (int i = 0; i < chosen.size(); i++) {
      if (misrecognized.get(i) == null) {
        cleanByIntent.computeIfAbsent(chosen.get(i).intent(), k -> new ArrayList<>()).add(i);
      }
    }
    Map<String, int[]> sameIntent = new HashMap<>();
    cleanByIntent.forEach(
        (intent, ids) ->
            sameIntent.put(intent, ids.stream().mapToInt(Integer::intValue).toArray()));
    List<CatalogUtterance> built = new ArrayList<>(chosen.size());
    Map<String, String> truthMap = new TreeMap<>();
    for (int i = 0; i < chosen.size(); i++) {
      UtteranceCatalog.Entry entry = chosen.get(i);
      int[] clean = sameIntent.getOrDefault(entry.intent(), new int[0]);
      int position = misrecognized.get(i) == null ? Arrays.binarySearch(clean, i) : -1;
      built.add(new CatalogUtterance(entry, misrecognized.get(i), clean, position));
      if (misrecognized.get(i) != null) {
        truthMap.put(UtteranceNormalizer.normalize(misrecognized.get(i)), entry.normalized());
      }
    }
    this.catalog = List.copyOf(built);
    this.truth = Collections.unmodifiableMap(truthMap);
    this.taken = taken;
    this.popularityCdf = zipfCdf(catalog.size(), settings.zipfExponent());
  }

  /** Starts configuring a simulator; every setting has a default. */
  public static Builder builder() {
    return new Builder();
  }

  /** The settings in force. */
  public Settings settings() {
    return settings;
  }

  /** Whether the built-in utterance sample is used because no utterance file was found. */
  public boolean usesBuiltInUtterances() {
    return builtInUtterances;
  }

  /** Whether the built-in misspellings are used because no dictionary file was found. */
  public boolean usesBuiltInMisspellings() {
    return builtInMisspellings;
  }

  /** Number of distinct utterances users choose from. */
  public int catalogSize() {
    return catalog.size();
  }

  /** The catalog's utterances as written, in popularity rank order (most requested first). */
  public List<String> catalogUtterances() {
    List<String> texts = new ArrayList<>(catalog.size());
    catalog.forEach(utterance -> texts.add(utterance.entry().text()));
    return texts;
  }

  /**
   * Every systematic misrecognition of the world, normalized misspelt form → normalized intended
   * utterance, sorted by source; the rewrites an ideal learner would find. Rarely requested
   * utterances may never be spoken in a given run ({@link Summary#exercisedTruthPairs()}).
   */
  public Map<String, String> truth() {
    return truth;
  }

  /** The turns of the whole simulation in event-time order, without rewrites. */
  public Iterator<SimulatedTurn> turns() {
    return turns(utterance -> Optional.empty());
  }

  /**
   * The turns of the whole simulation in event-time order, the serving side applying {@code
   * rewrites} (normalized utterance → normalized replacement, empty for none) to every turn.
   * Generated lazily one simulated day at a time, so a long or endless run ({@code days} large) can
   * drive a live demo.
   */
  public Iterator<SimulatedTurn> turns(Function<String, Optional<String>> rewrites) {
    Objects.requireNonNull(rewrites, "rewrites");
    return new Iterator<>() {
      private int day;
      private Iterator<SimulatedTurn> current = Collections.emptyIterator();

      @Override
      public boolean hasNext() {
        while (!current.hasNext() && day < settings.days()) {
          current = simulateDay(day++, rewrites).iterator();
        }
        return current.hasNext();
      }

      @Override
      public SimulatedTurn next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return current.next();
      }
    };
  }

  /** {@link #turns(Function)} as a sequential stream. */
  public Stream<SimulatedTurn> stream(Function<String, Optional<String>> rewrites) {
    return StreamSupport.stream(
        Spliterators.spliteratorUnknownSize(
            turns(rewrites), Spliterator.ORDERED | Spliterator.NONNULL),
        false);
  }

  /**
   * Writes the interactions as an event log (gzip if the name ends in {@code .gz}) and the truth
   * pairs that were spoken at least once as {@code source<TAB>target} lines, both normalized,
   * sorted, without a header.
   */
  public Summary writeLog(Path events, Path truthTsv) throws IOException {
    return writeLog(events, truthTsv, utterance -> Optional.empty());
  }

  /** {@link #writeLog(Path, Path)} with the serving side applying {@code rewrites}. */
  public Summary writeLog(Path events, Path truthTsv, Function<String, Optional<String>> rewrites)
      throws IOException {
    Tally tally = new Tally();
    try (EventLogWriter writer = EventLogWriter.open(events)) {
      Iterator<SimulatedTurn> turns = turns(rewrites);
      while (turns.hasNext()) {
        SimulatedTurn turn = turns.next();
        writer.write(turn.toEvent());
        tally.add(turn);
      }
    }
    Path parent = truthTsv.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    try (BufferedWriter out = Files.newBufferedWriter(truthTsv, StandardCharsets.UTF_8)) {
      for (Map.Entry<String, String> pair : tally.spokenTruth().entrySet()) {
        out.write(pair.getKey() + "\t" + pair.getValue() + "\n");
      }
    }
    return tally.summary();
  }

  /** Counts of a sequence of turns of this simulator (e.g. a demo's), against its truth. */
  public Summary summarize(Iterator<SimulatedTurn> turns) {
    Tally tally = new Tally();
    turns.forEachRemaining(tally::add);
    return tally.summary();
  }

  private List<SimulatedTurn> simulateDay(int day, Function<String, Optional<String>> rewrites) {
    List<SimulatedTurn> turns = new ArrayList<>();
    long dayStart = settings.startMillis() + day * DAY_MILLIS;
    for (int user = 0; user < settings.users(); user++) {
      SplittableRandom random = new SplittableRandom(mix(mix(settings.seed(), day), user));
      long[] starts = sessionStarts(random);
      for (int s = 0; s < starts.length; s++) {
        String userId = "u" + user;
        String sessionId = userId + "-d" + day + "-s" + s;
        simulateSession(
            userId, sessionId, dayStart + starts[s], random.split(), rewrites, turns::add);
      }
    }
    // Stable: equal timestamps keep user order, and each user's turns are already in time order.
    turns.sort(Comparator.comparingLong(SimulatedTurn::timestamp));
    return turns;
  }

  /** Session start offsets within the day, ascending, at least ten minutes apart. */
  private long[] sessionStarts(SplittableRandom random) {
    int count = poisson(random, settings.turnsPerUserPerDay());
    long window = DAY_MILLIS - MIN_SESSION_SPACING_MILLIS;
    long[] starts = new long[count];
    for (int i = 0; i < count; i++) {
      starts[i] = random.nextLong(window);
    }
    Arrays.sort(starts);
    int kept = 0;
    long previous = Long.MIN_VALUE / 2;
    for (long start : starts) {
      long spaced = Math.max(start, previous + MIN_SESSION_SPACING_MILLIS);
      if (spaced < window) {
        starts[kept++] = spaced;
        previous = spaced;
      }
    }
    return Arrays.copyOf(starts, kept);
  }

  private void simulateSession(
      String userId,
      String sessionId,
      long start,
      SplittableRandom random,
      Function<String, Optional<String>> rewrites,
      Consumer<SimulatedTurn> out) {
    int request = drawRequest(random);
    long time = start;
    for (int n = 0; n < MAX_REQUESTS_PER_SESSION; n++) {
      // Drawn unconditionally, in a fixed order: runs with and without rewrites stay aligned.
      boolean lowerCase = random.nextDouble() < LOWER_CASE_PROBABILITY;
      double afterFailure = random.nextDouble();
      long rephraseGap = random.nextLong(REPHRASE_GAP_MIN_MILLIS, REPHRASE_GAP_MAX_MILLIS);
      double alternativeDraw = random.nextDouble();
      boolean followUp = random.nextDouble() < settings.followUpProbability();
      long followUpGap = random.nextLong(FOLLOW_UP_GAP_MIN_MILLIS, FOLLOW_UP_GAP_MAX_MILLIS);
      int nextRequest = drawRequest(random);
      // Drawn only when one-off misrecognitions are on, so the default world is unchanged.
      boolean oneOff =
          settings.rareMisrecognitionProbability() > 0
              && random.nextDouble() < settings.rareMisrecognitionProbability();
      long oneOffChoice = settings.rareMisrecognitionProbability() > 0 ? random.nextLong() : 0;

      CatalogUtterance wanted = catalog.get(request);
      String firstTry = wanted.misrecognized() ? wanted.misrecognizedText() : wanted.entry().text();
      boolean misheard = wanted.misrecognized();
      if (oneOff && !misheard) {
        String misspelt = misspellAnyWord(wanted.entry().text(), misspellings, oneOffChoice);
        if (misspelt != null
            && !UtteranceNormalizer.normalize(misspelt).equals(wanted.entry().normalized())) {
          firstTry = misspelt;
          misheard = true;
        }
      }
      SimulatedTurn turn =
          turn(userId, sessionId, time, surface(firstTry, lowerCase), wanted, misheard, rewrites);
      out.accept(turn);
      if (turn.failing()) {
        if (afterFailure < settings.abandonProbability()) {
          return;
        }
        CatalogUtterance retry = wanted;
        boolean otherWording =
            afterFailure < settings.abandonProbability() + settings.otherWordingProbability();
        if (otherWording && wanted.alternativeCount() > 0) {
          retry =
              catalog.get(wanted.alternative((int) (alternativeDraw * wanted.alternativeCount())));
        }
        time += rephraseGap;
        turn =
            turn(
                userId,
                sessionId,
                time,
                surface(retry.entry().text(), lowerCase),
                retry,
                false,
                rewrites);
        out.accept(turn);
        if (turn.failing()) {
          return;
        }
      }
      if (!followUp) {
        return;
      }
      time += followUpGap;
      request = nextRequest;
    }
  }

  private SimulatedTurn turn(
      String userId,
      String sessionId,
      long time,
      String spoken,
      CatalogUtterance wanted,
      boolean misrecognized,
      Function<String, Optional<String>> rewrites) {
    String normalized = UtteranceNormalizer.normalize(spoken);
    Optional<String> rewrite = rewrites.apply(normalized);
    Objects.requireNonNull(rewrite, "the rewrite function returned null");
    boolean understood = rewrite.orElse(normalized).equals(wanted.entry().normalized());
    return new SimulatedTurn(
        userId,
        sessionId,
        time,
        spoken,
        wanted.entry().text(),
        wanted.entry().intent(),
        misrecognized,
        !understood,
        rewrite);
  }

  private int drawRequest(SplittableRandom random) {
    int index = Arrays.binarySearch(popularityCdf, random.nextDouble());
    return Math.min(index < 0 ? -index - 1 : index, popularityCdf.length - 1);
  }

  private static String surface(String text, boolean lowerCase) {
    return lowerCase ? text.toLowerCase(Locale.ROOT) : text;
  }

  /**
   * The utterance with its longest misspellable word (first on a tie) replaced by one of that
   * word's misspellings, keeping surrounding punctuation and an initial capital; null if no word of
   * at least three letters has a known misspelling.
   */
  static String misspell(String text, MisspellingDictionary misspellings, long choice) {
    String[] tokens = text.split(" ", -1);
    int best = -1;
    int bestStart = 0;
    int bestEnd = 0;
    for (int t = 0; t < tokens.length; t++) {
      String token = tokens[t];
      int start = 0;
      int end = token.length();
      while (start < end && !Character.isLetterOrDigit(token.charAt(start))) {
        start++;
      }
      while (end > start && !Character.isLetterOrDigit(token.charAt(end - 1))) {
        end--;
      }
      String word = token.substring(start, end).toLowerCase(Locale.ROOT);
      boolean longer = best < 0 || end - start > bestEnd - bestStart;
      if (word.length() >= MIN_MISSPELT_WORD_LENGTH
          && longer
          && !misspellings.misspellingsOf(word).isEmpty()) {
        best = t;
        bestStart = start;
        bestEnd = end;
      }
    }
    if (best < 0) {
      return null;
    }
    String token = tokens[best];
    String word = token.substring(bestStart, bestEnd);
    List<String> options = misspellings.misspellingsOf(word.toLowerCase(Locale.ROOT));
    String misspelt = options.get((int) Math.floorMod(choice, (long) options.size()));
    if (Character.isUpperCase(word.charAt(0))) {
      misspelt = Character.toUpperCase(misspelt.charAt(0)) + misspelt.substring(1);
    }
    tokens[best] = token.substring(0, bestStart) + misspelt + token.substring(bestEnd);
    return String.join(" ", tokens);
  }

  /**
   * The utterance with one word (of at least three letters with a known misspelling, chosen by
   * {@code choice}) replaced by one of its misspellings, also chosen by {@code choice}; null if no
   * word qualifies. Unlike {@link #misspell} any word may be hit: the long tail of one-off
   * misrecognitions.
   */
  static String misspellAnyWord(String text, MisspellingDictionary misspellings, long choice) {
    String[] tokens = text.split(" ", -1);
    int[] candidates = new int[tokens.length];
    int count = 0;
    for (int t = 0; t < tokens.length; t++) {
      String word = bareWord(tokens[t]);
      if (word.length() >= MIN_MISSPELT_WORD_LENGTH
          && !misspellings.misspellingsOf(word.toLowerCase(Locale.ROOT)).isEmpty()) {
        candidates[count++] = t;
      }
    }
    if (count == 0) {
      return null;
    }
    SplittableRandom pick = new SplittableRandom(choice);
    int t = candidates[pick.nextInt(count)];
    String token = tokens[t];
    String word = bareWord(token);
    int start = token.indexOf(word);
    List<String> options = misspellings.misspellingsOf(word.toLowerCase(Locale.ROOT));
    String misspelt = options.get(pick.nextInt(options.size()));
    if (Character.isUpperCase(word.charAt(0))) {
      misspelt = Character.toUpperCase(misspelt.charAt(0)) + misspelt.substring(1);
    }
    tokens[t] = token.substring(0, start) + misspelt + token.substring(start + word.length());
    return String.join(" ", tokens);
  }

  private static String bareWord(String token) {
    int start = 0;
    int end = token.length();
    while (start < end && !Character.isLetterOrDigit(token.charAt(start))) {
      start++;
    }
    while (end > start && !Character.isLetterOrDigit(token.charAt(end - 1))) {
      end--;
    }
    return token.substring(start, end);
  }

  /**
   * Grows {@code catalog} to {@code size} distinct utterances by splicing two real utterances of
   * the same intent at word boundaries (the head of one, the tail of the other): every word is real
   * and stays in its intent's context, and the number of distinct splices is far above any size
   * asked for. Gives up quietly after many collisions in a row (a tiny source).
   */
  private static void splice(
      List<UtteranceCatalog.Entry> source,
      int size,
      SplittableRandom random,
      Set<String> taken,
      List<UtteranceCatalog.Entry> catalog) {
    Map<String, List<String[]>> byIntent = new TreeMap<>();
    for (UtteranceCatalog.Entry entry : source) {
      String[] words = entry.text().split(" ");
      if (words.length >= 2) {
        byIntent.computeIfAbsent(entry.intent(), k -> new ArrayList<>()).add(words);
      }
    }
    List<String> intents = new ArrayList<>(byIntent.keySet());
    if (intents.isEmpty()) {
      return;
    }
    int misses = 0;
    while (catalog.size() < size && misses < 10_000) {
      String intent = intents.get(random.nextInt(intents.size()));
      List<String[]> utterances = byIntent.get(intent);
      String[] head = utterances.get(random.nextInt(utterances.size()));
      String[] tail = utterances.get(random.nextInt(utterances.size()));
      int headWords = 1 + random.nextInt(head.length - 1);
      int tailFrom = 1 + random.nextInt(tail.length - 1);
      StringBuilder text = new StringBuilder();
      for (int i = 0; i < headWords; i++) {
        text.append(head[i]).append(' ');
      }
      for (int i = tailFrom; i < tail.length; i++) {
        text.append(tail[i]).append(i + 1 < tail.length ? " " : "");
      }
      String spliced = text.toString();
      String normalized = UtteranceNormalizer.normalize(spliced);
      if (normalized.isEmpty() || !taken.add(normalized)) {
        misses++;
        continue;
      }
      misses = 0;
      catalog.add(new UtteranceCatalog.Entry(intent, spliced, normalized));
    }
  }

  private static double[] zipfCdf(int size, double exponent) {
    double[] cdf = new double[size];
    double sum = 0;
    for (int rank = 1; rank <= size; rank++) {
      sum += 1 / StrictMath.pow(rank, exponent);
      cdf[rank - 1] = sum;
    }
    for (int i = 0; i < size; i++) {
      cdf[i] /= sum;
    }
    return cdf;
  }

  private static int poisson(SplittableRandom random, double mean) {
    // Knuth's method: fine for the small means used here (at most 100, checked by the builder).
    double limit = StrictMath.exp(-mean);
    double product = random.nextDouble();
    int count = 0;
    while (product > limit) {
      count++;
      product *= random.nextDouble();
    }
    return count;
  }

  /** SplitMix64's finalizer over a combination: independent seeds for (seed, day, user). */
  private static long mix(long a, long b) {
    long z = a * 0x9E3779B97F4A7C15L + b;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** Accumulates a {@link Summary}. */
  private final class Tally {
    private long turns;
    private long failing;
    private long rewritten;
    private long misrecognizedSpoken;
    private final Set<String> sessions = new HashSet<>();
    private final Set<String> users = new HashSet<>();
    private final Set<String> spokenMisrecognitions = new HashSet<>();
    // One-off misrecognitions heard: misspelt form → intended, or null once two intents collide.
    private final Map<String, String> oneOffs = new HashMap<>();
    private final Map<String, int[]> utteranceTurns = new HashMap<>();

    void add(SimulatedTurn turn) {
      turns++;
      failing += turn.failing() ? 1 : 0;
      rewritten += turn.rewriteTarget().isPresent() ? 1 : 0;
      sessions.add(turn.sessionId());
      users.add(turn.userId());
      String heard = turn.normalizedUtterance();
      utteranceTurns.computeIfAbsent(heard, k -> new int[1])[0]++;
      if (turn.misrecognized()) {
        misrecognizedSpoken++;
        spokenMisrecognitions.add(heard);
        if (!truth.containsKey(heard)) {
          String intended = turn.normalizedIntended();
          oneOffs.merge(heard, intended, (a, b) -> a != null && a.equals(b) ? a : "");
        }
      }
    }

    /**
     * Systematic misrecognitions spoken at least once, and one-off misrecognitions whose misspelt
     * form is no catalog utterance and always meant the same one: both are correct rewrites.
     */
    Map<String, String> spokenTruth() {
      Map<String, String> pairs = new TreeMap<>();
      truth.forEach(
          (source, target) -> {
            if (spokenMisrecognitions.contains(source)) {
              pairs.put(source, target);
            }
          });
      oneOffs.forEach(
          (source, target) -> {
            if (!target.isEmpty() && !taken.contains(source)) {
              pairs.put(source, target);
            }
          });
      return pairs;
    }

    Summary summary() {
      int exercised = 0;
      for (String source : truth.keySet()) {
        exercised += spokenMisrecognitions.contains(source) ? 1 : 0;
      }
      int[] counts = new int[utteranceTurns.size()];
      int i = 0;
      int once = 0;
      for (int[] count : utteranceTurns.values()) {
        counts[i++] = count[0];
        once += count[0] == 1 ? 1 : 0;
      }
      Arrays.sort(counts);
      long head = 0;
      int headSize = Math.max(1, counts.length / 100);
      for (int k = counts.length - headSize; k < counts.length; k++) {
        head += counts[k];
      }
      return new Summary(
          users.size(),
          sessions.size(),
          turns,
          failing,
          misrecognizedSpoken,
          rewritten,
          truth.size(),
          exercised,
          counts.length,
          once,
          turns == 0 ? Double.NaN : (double) head / turns,
          (int) spokenTruth().size() - exercised);
    }
  }

  /**
   * Counts of a simulation run.
   *
   * @param users users with at least one turn
   * @param sessions sessions with at least one turn
   * @param turns all turns
   * @param failingTurns turns that failed (defects)
   * @param misrecognizedTurns turns whose utterance was a systematic misrecognition
   * @param rewrittenTurns turns the serving side rewrote
   * @param truthPairs systematic misrecognitions in the world
   * @param exercisedTruthPairs those spoken at least once in this run
   * @param distinctUtterances distinct normalized utterances heard
   * @param utterancesHeardOnce those heard in exactly one turn (the long tail)
   * @param topPercentShare share of turns taken by the most frequent 1 % of distinct utterances
   * @param oneOffTruthPairs one-off misrecognitions written to the truth file besides the
   *     systematic ones
   */
  public record Summary(
      long users,
      long sessions,
      long turns,
      long failingTurns,
      long misrecognizedTurns,
      long rewrittenTurns,
      int truthPairs,
      int exercisedTruthPairs,
      int distinctUtterances,
      int utterancesHeardOnce,
      double topPercentShare,
      int oneOffTruthPairs) {

    /** Failing turns over all turns; NaN without turns. */
    public double defectRate() {
      return turns == 0 ? Double.NaN : (double) failingTurns / turns;
    }

    /** A few human-readable lines for a console. */
    public String toText() {
      return String.format(
          Locale.ROOT,
          "simulated sessions: %d users, %d sessions, %d turns, %d failing (defect rate %.4f),"
              + " %d rewritten%ntruth: %d systematic misrecognitions, %d spoken at least once"
              + " (%d misrecognized turns), %d one-off misrecognitions%nvocabulary: %d distinct"
              + " utterances, %d heard once, the top 1 %% take %.1f %% of turns",
          users,
          sessions,
          turns,
          failingTurns,
          defectRate(),
          rewrittenTurns,
          truthPairs,
          exercisedTruthPairs,
          misrecognizedTurns,
          oneOffTruthPairs,
          distinctUtterances,
          utterancesHeardOnce,
          100 * topPercentShare);
    }
  }

  /**
   * The simulation's settings.
   *
   * @param users number of simulated users
   * @param days number of simulated days
   * @param seed seed of every random choice
   * @param turnsPerUserPerDay mean number of requests (sessions) each user starts per day;
   *     rephrasings and follow-ups add turns
   * @param startMillis event time of the first day's midnight
   * @param catalogSize number of distinct utterances users choose from
   * @param zipfExponent exponent of request popularity over the catalog's rank
   * @param misrecognizedFraction share of catalog utterances systematically misrecognized
   * @param abandonProbability chance a user gives up after a failure
   * @param otherWordingProbability chance a user rephrases a failure with a different utterance of
   *     the same intent instead of repeating it correctly
   * @param followUpProbability chance of an unrelated request after a success, same session
   * @param rareMisrecognitionProbability chance that a request for a correctly recognized utterance
   *     is misheard once (any misspellable word, any of its misspellings): the long tail of rare
   *     misrecognitions; the user then rephrases as after a systematic one
   * @param splice whether a catalog larger than the source is filled with splices of two
   *     same-intent utterances (otherwise it is capped at the source's size)
   */
  public record Settings(
      int users,
      int days,
      long seed,
      double turnsPerUserPerDay,
      long startMillis,
      int catalogSize,
      double zipfExponent,
      double misrecognizedFraction,
      double abandonProbability,
      double otherWordingProbability,
      double followUpProbability,
      double rareMisrecognitionProbability,
      boolean splice) {

    public Settings {
      require(users >= 1, "users must be at least 1");
      require(days >= 1, "days must be at least 1");
      require(
          turnsPerUserPerDay > 0 && turnsPerUserPerDay <= 100,
          "turnsPerUserPerDay must be in (0, 100]");
      require(startMillis >= 0, "startMillis must not be negative");
      require(catalogSize >= 1, "catalogSize must be at least 1");
      require(zipfExponent >= 0 && zipfExponent <= 5, "zipfExponent must be in [0, 5]");
      require(probability(misrecognizedFraction), "misrecognizedFraction must be in [0, 1]");
      require(probability(abandonProbability), "abandonProbability must be in [0, 1]");
      require(probability(otherWordingProbability), "otherWordingProbability must be in [0, 1]");
      require(
          abandonProbability + otherWordingProbability <= 1,
          "abandonProbability + otherWordingProbability must not exceed 1");
      require(probability(followUpProbability), "followUpProbability must be in [0, 1]");
      require(
          probability(rareMisrecognitionProbability),
          "rareMisrecognitionProbability must be in [0, 1]");
    }

    private static boolean probability(double p) {
      return p >= 0 && p <= 1;
    }

    private static void require(boolean condition, String message) {
      if (!condition) {
        throw new IllegalArgumentException(message);
      }
    }
  }

  /** Configures a {@link SessionSimulator}. */
  public static final class Builder {
    private int users = 500;
    private int days = 7;
    private long seed = 42;
    private double turnsPerUserPerDay = 4;
    private long startMillis = DEFAULT_START_MILLIS;
    private int catalogSize = 400;
    private double zipfExponent = 1.0;
    private double misrecognizedFraction = 0.2;
    private double abandonProbability = 0.15;
    private double otherWordingProbability = 0.1;
    private double followUpProbability = 0.2;
    private double rareMisrecognitionProbability = 0;
    private boolean splice;
    private Path utterances;
    private Path misspellings;

    private Builder() {}

    /** Number of users; default 500. */
    public Builder users(int users) {
      this.users = users;
      return this;
    }

    /** Number of days; default 7. */
    public Builder days(int days) {
      this.days = days;
      return this;
    }

    /** Seed; default 42. */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** Mean requests per user per day; default 4. */
    public Builder turnsPerUserPerDay(double turnsPerUserPerDay) {
      this.turnsPerUserPerDay = turnsPerUserPerDay;
      return this;
    }

    /** Event time of the first simulated midnight; default {@link #DEFAULT_START_MILLIS}. */
    public Builder startMillis(long startMillis) {
      this.startMillis = startMillis;
      return this;
    }

    /**
     * Distinct utterances in play; default 400 (fewer if the source has fewer, see {@link
     * #splice}).
     */
    public Builder catalogSize(int catalogSize) {
      this.catalogSize = catalogSize;
      return this;
    }

    /** Zipf exponent of request popularity; default 1.0. */
    public Builder zipfExponent(double zipfExponent) {
      this.zipfExponent = zipfExponent;
      return this;
    }

    /** Share of utterances systematically misrecognized; default 0.2. */
    public Builder misrecognizedFraction(double misrecognizedFraction) {
      this.misrecognizedFraction = misrecognizedFraction;
      return this;
    }

    /** Chance of giving up after a failure; default 0.15. */
    public Builder abandonProbability(double abandonProbability) {
      this.abandonProbability = abandonProbability;
      return this;
    }

    /** Chance of rephrasing a failure as a different utterance; default 0.1. */
    public Builder otherWordingProbability(double otherWordingProbability) {
      this.otherWordingProbability = otherWordingProbability;
      return this;
    }

    /** Chance of an unrelated request after a success; default 0.2. */
    public Builder followUpProbability(double followUpProbability) {
      this.followUpProbability = followUpProbability;
      return this;
    }

    /**
     * Whether a {@link #catalogSize} above the source's size is reached by splicing same-intent
     * utterances at word boundaries; default false (the catalog is capped at the source).
     */
    public Builder splice(boolean splice) {
      this.splice = splice;
      return this;
    }

    /** Chance of a one-off misrecognition of a correctly recognized request; default 0. */
    public Builder rareMisrecognitionProbability(double rareMisrecognitionProbability) {
      this.rareMisrecognitionProbability = rareMisrecognitionProbability;
      return this;
    }

    /**
     * A Snips-style {@code intent<TAB>utterance} file; if null or absent, a built-in sample of 20
     * utterances is used.
     */
    public Builder utterances(Path utterances) {
      this.utterances = utterances;
      return this;
    }

    /**
     * A codespell {@code wrong->right} dictionary; if null or absent, a built-in sample of 15 real
     * entries is used.
     */
    public Builder misspellings(Path misspellings) {
      this.misspellings = misspellings;
      return this;
    }

    /**
     * @throws IllegalArgumentException if a setting is out of range
     * @throws IOException if a given file exists but cannot be read
     */
    public SessionSimulator build() throws IOException {
      Settings settings =
          new Settings(
              users,
              days,
              seed,
              turnsPerUserPerDay,
              startMillis,
              catalogSize,
              zipfExponent,
              misrecognizedFraction,
              abandonProbability,
              otherWordingProbability,
              followUpProbability,
              rareMisrecognitionProbability,
              splice);
      boolean builtInUtterances = utterances == null || !Files.exists(utterances);
      boolean builtInMisspellings = misspellings == null || !Files.exists(misspellings);
      UtteranceCatalog catalog =
          builtInUtterances ? UtteranceCatalog.builtIn() : UtteranceCatalog.load(utterances);
      MisspellingDictionary dictionary =
          builtInMisspellings
              ? MisspellingDictionary.builtIn()
              : MisspellingDictionary.load(misspellings);
      if (catalog.entries().isEmpty()) {
        throw new IOException("no utterances in " + utterances);
      }
      return new SessionSimulator(
          settings, catalog, dictionary, builtInUtterances, builtInMisspellings);
    }
  }
}
