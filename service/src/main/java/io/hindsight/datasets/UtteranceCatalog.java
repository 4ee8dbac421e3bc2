package io.hindsight.datasets;

import io.hindsight.markov.UtteranceNormalizer;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Real assistant utterances with their intents, from a Snips-style TSV ({@code
 * intent<TAB>utterance} with a header line) or a small built-in sample. Utterances that normalize
 * alike are kept once (the first), so every entry is a distinct state for the rewrite learner.
 * Immutable.
 */
final class UtteranceCatalog {

  /** One utterance as written in the source, with its intent and normal form. */
  record Entry(String intent, String text, String normalized) {}

  /** Utterances in the style of the Snips benchmark, containing words the built-in misspell. */
  private static final String[][] BUILT_IN = {
    {"PlayMusic", "Play the latest album by Imagine Dragons"},
    {"PlayMusic", "play my favourite jazz playlist"},
    {"PlayMusic", "play something from the current top charts"},
    {"GetWeather", "What is the weather forecast for tomorrow?"},
    {"GetWeather", "what will the temperature be in Boston tomorrow"},
    {"GetWeather", "Is there a storm forecast for the nearest beach"},
    {"BookRestaurant", "Book a table at an Italian restaurant for four people"},
    {"BookRestaurant", "reserve a table for two at a sushi restaurant tonight"},
    {"BookRestaurant", "I want to reserve a restaurant for my birthday"},
    {"AddToPlaylist", "add this song to my workout playlist"},
    {"AddToPlaylist", "Add the latest Adele single to the playlist called Road Trip"},
    {"RateBook", "rate the current book five stars"},
    {"RateBook", "give this novel four out of six stars"},
    {"RateBook", "Rate the book called Dune three stars"},
    {"SearchCreativeWork", "find the television show called Friends"},
    {"SearchCreativeWork", "Show me the movie called Inception"},
    {"SearchScreeningEvent", "What are the movie schedules at the nearest cinema?"},
    {"SearchScreeningEvent", "find movie schedules for tomorrow evening"},
    {"SearchScreeningEvent", "which films are showing at the nearest theatre"},
    {"SearchScreeningEvent", "Find the current schedules for animated movies"},
  };

  private final List<Entry> entries;

  private UtteranceCatalog(List<Entry> entries) {
    this.entries = entries;
  }

  /** Loads a TSV; lines without a tab or with an empty utterance are skipped. */
  static UtteranceCatalog load(Path path) throws IOException {
    List<String[]> rows = new ArrayList<>();
    try (BufferedReader reader = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
      String line;
      boolean header = true;
      while ((line = reader.readLine()) != null) {
        if (header) {
          header = false;
          if (line.startsWith("intent\t")) {
            continue;
          }
        }
        int tab = line.indexOf('\t');
        if (tab > 0) {
          rows.add(new String[] {line.substring(0, tab).strip(), line.substring(tab + 1).strip()});
        }
      }
    }
    return of(rows);
  }

  /** The built-in sample of twenty utterances over the seven Snips intents. */
  static UtteranceCatalog builtIn() {
    return of(List.of(BUILT_IN));
  }

  private static UtteranceCatalog of(List<String[]> rows) {
    List<Entry> entries = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (String[] row : rows) {
      String normalized = UtteranceNormalizer.normalize(row[1]);
      if (!normalized.isEmpty() && seen.add(normalized)) {
        entries.add(new Entry(row[0], row[1], normalized));
      }
    }
    return new UtteranceCatalog(List.copyOf(entries));
  }

  /** Distinct utterances in source order. */
  List<Entry> entries() {
    return entries;
  }
}
