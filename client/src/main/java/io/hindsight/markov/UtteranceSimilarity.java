package io.hindsight.markov;

import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Stateless and thread-safe. Surface similarity of two normalized utterances, for the rewrite
 * similarity guard. A rewrite should fix how something was said, not switch to something else:
 * "play maj and dragons" → "play imagine dragons" is similar, "qvc" → "hsn" is not.
 */
final class UtteranceSimilarity {

  private UtteranceSimilarity() {}

  /** Levenshtein distance over code points divided by the longer length; 0 for two empties. */
  static double normalizedEditDistance(String a, String b) {
    int[] x = a.codePoints().toArray();
    int[] y = b.codePoints().toArray();
    int longer = Math.max(x.length, y.length);
    if (longer == 0) {
      return 0;
    }
    int[] previous = new int[y.length + 1];
    int[] current = new int[y.length + 1];
    for (int j = 0; j <= y.length; j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= x.length; i++) {
      current[0] = i;
      for (int j = 1; j <= y.length; j++) {
        int substitution = previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1);
        current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
      }
      int[] held = previous;
      previous = current;
      current = held;
    }
    return previous[y.length] / (double) longer;
  }

  /**
   * |tokens(a) ∩ tokens(b)| / |tokens(a) ∪ tokens(b)|, tokens split on spaces; 1 for two empties.
   */
  static double tokenJaccard(String a, String b) {
    Set<String> left = tokens(a);
    Set<String> right = tokens(b);
    if (left.isEmpty() && right.isEmpty()) {
      return 1;
    }
    int shared = 0;
    for (String token : left) {
      if (right.contains(token)) {
        shared++;
      }
    }
    return shared / (double) (left.size() + right.size() - shared);
  }

  /**
   * American Soundex of each token, joined by spaces ("imagine dragons" → "I525 D625"). Tokens
   * without Latin letters are kept as they are, so non-Latin utterances only match themselves.
   */
  static String phoneticKey(String utterance) {
    StringBuilder key = new StringBuilder();
    for (String token : utterance.split(" ")) {
      if (token.isEmpty()) {
        continue;
      }
      if (key.length() > 0) {
        key.append(' ');
      }
      key.append(soundex(token));
    }
    return key.toString();
  }

  private static String soundex(String token) {
    StringBuilder code = new StringBuilder(4);
    char lastDigit = 0;
    for (int i = 0; i < token.length() && code.length() < 4; i++) {
      char c = token.charAt(i);
      if (c < 'a' || c > 'z') {
        continue;
      }
      char digit = soundexDigit(c);
      if (code.length() == 0) {
        code.append(Character.toUpperCase(c));
      } else if (digit != '0' && digit != lastDigit) {
        code.append(digit);
      }
      // 'h' and 'w' do not separate equal codes; vowels do.
      if (c != 'h' && c != 'w') {
        lastDigit = digit;
      }
    }
    if (code.length() == 0) {
      return token;
    }
    while (code.length() < 4) {
      code.append('0');
    }
    return code.toString().toUpperCase(Locale.ROOT);
  }

  private static char soundexDigit(char c) {
    switch (c) {
      case 'b', 'f', 'p', 'v':
        return '1';
      case 'c', 'g', 'j', 'k', 'q', 's', 'x', 'z':
        return '2';
      case 'd', 't':
        return '3';
      case 'l':
        return '4';
      case 'm', 'n':
        return '5';
      case 'r':
        return '6';
      default:
        return '0';
    }
  }

  private static Set<String> tokens(String utterance) {
    Set<String> tokens = new HashSet<>();
    for (String token : utterance.split(" ")) {
      if (!token.isEmpty()) {
        tokens.add(token);
      }
    }
    return tokens;
  }
}
