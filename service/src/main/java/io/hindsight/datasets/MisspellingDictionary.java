package io.hindsight.datasets;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Known misspellings of correct words, inverted from a codespell dictionary ({@code wrong->right[,
 * alternative…]}): for each correct word, the sorted wrong forms that codespell corrects to it.
 * Only lower-cased single words of letters a–z on both sides are kept, so a misspelling never
 * differs from its word by case or punctuation alone (normalization would erase the difference).
 * Immutable.
 */
final class MisspellingDictionary {

  private static final Pattern WORD = Pattern.compile("[a-z]+");

  /**
   * Real entries of the codespell dictionary for words of {@link UtteranceCatalog}'s built-in
   * sample, used when no dictionary file is available.
   */
  private static final String BUILT_IN =
      String.join(
          "\n",
          "facourite->favourite",
          "forcast->forecast",
          "tommorow->tomorrow",
          "temparature->temperature",
          "restaraunt->restaurant",
          "peopel->people",
          "lastest->latest",
          "reserv->reserve",
          "curent->current",
          "televsion->television",
          "shedules->schedules",
          "nearset->nearest",
          "calld->called",
          "tabel->table",
          "sarts->stars");

  private final Map<String, List<String>> misspellingsOf;

  private MisspellingDictionary(Map<String, List<String>> misspellingsOf) {
    this.misspellingsOf = misspellingsOf;
  }

  /** Loads a codespell dictionary file. */
  static MisspellingDictionary load(Path path) throws IOException {
    try (BufferedReader reader = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
      return parse(reader.lines().iterator());
    }
  }

  /** The built-in sample. */
  static MisspellingDictionary builtIn() {
    return parse(BUILT_IN.lines().iterator());
  }

  private static MisspellingDictionary parse(Iterator<String> lines) {
    Map<String, TreeSet<String>> inverted = new TreeMap<>();
    while (lines.hasNext()) {
      String line = lines.next();
      int arrow = line.indexOf("->");
      if (arrow <= 0) {
        continue;
      }
      String wrong = line.substring(0, arrow).strip().toLowerCase(Locale.ROOT);
      if (!WORD.matcher(wrong).matches()) {
        continue;
      }
      for (String candidate : line.substring(arrow + 2).split(",")) {
        String right = candidate.strip().toLowerCase(Locale.ROOT);
        if (WORD.matcher(right).matches() && !right.equals(wrong)) {
          inverted.computeIfAbsent(right, r -> new TreeSet<>()).add(wrong);
        }
      }
    }
    Map<String, List<String>> frozen = new HashMap<>();
    inverted.forEach((right, wrongs) -> frozen.put(right, List.copyOf(new ArrayList<>(wrongs))));
    return new MisspellingDictionary(frozen);
  }

  /** The known misspellings of a lower-case word, sorted; empty if none. */
  List<String> misspellingsOf(String word) {
    return misspellingsOf.getOrDefault(word, List.of());
  }

  /** Number of correct words with at least one misspelling. */
  int size() {
    return misspellingsOf.size();
  }
}
