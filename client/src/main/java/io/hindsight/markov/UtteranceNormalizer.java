package io.hindsight.markov;

import java.text.Normalizer;
import java.util.Locale;

/**
 * Stateless and thread-safe; idempotent. Maps an utterance to its state name: Unicode NFKC, lower
 * case ({@link Locale#ROOT}), punctuation removed, whitespace folded to single spaces and trimmed.
 *
 * <p>Letters, digits and combining marks of every script are kept, so non-Latin utterances keep
 * their meaning. Apostrophes (ASCII and typographic) are dropped without a space, so "don't" and
 * "dont" are one state; every other punctuation or symbol character separates words ("hip-hop"
 * becomes "hip hop").
 */
public final class UtteranceNormalizer {

  private UtteranceNormalizer() {}

  /** Returns the normalized form of {@code utterance}; the empty string if nothing remains. */
  public static String normalize(CharSequence utterance) {
    if (isAscii(utterance)) {
      return normalizeAscii(utterance);
    }
    String folded = Normalizer.normalize(utterance, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
    StringBuilder out = new StringBuilder(folded.length());
    boolean pendingSpace = false;
    for (int i = 0; i < folded.length(); ) {
      int codePoint = folded.codePointAt(i);
      i += Character.charCount(codePoint);
      if (isApostrophe(codePoint)) {
        continue;
      }
      if (isWordCharacter(codePoint)) {
        if (pendingSpace && out.length() > 0) {
          out.append(' ');
        }
        pendingSpace = false;
        out.appendCodePoint(codePoint);
      } else {
        pendingSpace = true;
      }
    }
    String result = out.toString();
    // Lower-casing can leave a string that is no longer NFC (e.g. a dotted capital I); a second
    // pass keeps normalize(normalize(x)) == normalize(x).
    return Normalizer.isNormalized(result, Normalizer.Form.NFKC)
        ? result
        : Normalizer.normalize(result, Normalizer.Form.NFKC);
  }

  private static boolean isAscii(CharSequence text) {
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) >= 0x80) {
        return false;
      }
    }
    return true;
  }

  /**
   * The same result for ASCII input without the Unicode machinery, which costs about a microsecond
   * per utterance: ASCII is invariant under NFKC and lower-cases to ASCII.
   */
  private static String normalizeAscii(CharSequence utterance) {
    char[] out = new char[utterance.length()];
    int length = 0;
    boolean pendingSpace = false;
    for (int i = 0; i < utterance.length(); i++) {
      char c = utterance.charAt(i);
      if (c == '\'') {
        continue;
      }
      boolean upper = c >= 'A' && c <= 'Z';
      if (upper || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
        if (pendingSpace && length > 0) {
          out[length++] = ' ';
        }
        pendingSpace = false;
        out[length++] = upper ? (char) (c + ('a' - 'A')) : c;
      } else {
        pendingSpace = true;
      }
    }
    return new String(out, 0, length);
  }

  private static boolean isApostrophe(int codePoint) {
    return codePoint == '\'' || codePoint == '\u2019' || codePoint == '\u02BC';
  }

  private static boolean isWordCharacter(int codePoint) {
    if (Character.isLetterOrDigit(codePoint)) {
      return true;
    }
    int type = Character.getType(codePoint);
    // Indic and other scripts write vowels as combining marks: dropping them changes the word.
    return type == Character.NON_SPACING_MARK
        || type == Character.COMBINING_SPACING_MARK
        || type == Character.ENCLOSING_MARK;
  }
}
