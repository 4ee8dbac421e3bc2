package io.hindsight.markov;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Seeded random reformulation chains: disjoint vocabularies, self-loops, back-edges, users. */
final class RandomChains {

  record Chain(String userId, List<String> utterances, ChainOutcome outcome, long timestamp) {}

  private final Random random;
  private final int vocabularies;
  private final int statesPerVocabulary;
  private final int users;
  private long clock;

  RandomChains(long seed, int vocabularies, int statesPerVocabulary, int users) {
    this.random = new Random(seed);
    this.vocabularies = vocabularies;
    this.statesPerVocabulary = statesPerVocabulary;
    this.users = users;
  }

  Chain next() {
    int vocabulary = random.nextInt(vocabularies);
    int length = 1 + Math.min(7, (int) (-Math.log(1 - random.nextDouble()) * 1.5));
    int position = random.nextInt(statesPerVocabulary);
    List<String> turns = new ArrayList<>(length);
    for (int i = 0; i < length; i++) {
      turns.add("v" + vocabulary + " s" + position);
      // Mostly forward, sometimes staying (self-loop) or going back (cycles).
      position = Math.floorMod(position + random.nextInt(7) - 2, statesPerVocabulary);
    }
    double successChance = ((turns.get(length - 1).hashCode() & 0xff) / 255.0) * 0.8 + 0.1;
    ChainOutcome outcome =
        random.nextDouble() < successChance ? ChainOutcome.SUCCESS : ChainOutcome.FAILURE;
    // Event time mostly moves forward, with some disorder, so decay sees late events.
    clock += random.nextInt(60_000);
    long timestamp = clock - random.nextInt(120_000);
    return new Chain("user-" + random.nextInt(users), turns, outcome, timestamp);
  }

  static List<String> record(ChainStatistics statistics, Chain chain) {
    return new ArrayList<>(
        statistics.recordChain(
            chain.userId(), chain.utterances(), chain.outcome(), chain.timestamp()));
  }
}
