package io.hindsight.datasets;

import java.text.Normalizer;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The utterance normal form of design §3 (Unicode NFKC, lower case, punctuation and symbols
 * removed, whitespace runs folded to one space, trimmed). A local copy so this package needs
 * nothing from {@code io.hindsight.markov}, whose {@code UtteranceNormalizer} is canonical; the two
 * must behave identically, which {@code UtteranceNormalizationTest} pins down with examples.
 */
final class UtteranceNormalization {

  private static final Pattern PUNCTUATION_OR_SYMBOL = Pattern.compile("[\\p{P}\\p{S}]");
  private static final Pattern WHITESPACE_RUN = Pattern.compile("\\s+");

  private UtteranceNormalization() {}

  static String normalize(String utterance) {
    String text = Normalizer.normalize(utterance, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
    text = PUNCTUATION_OR_SYMBOL.matcher(text).replaceAll("");
    return WHITESPACE_RUN.matcher(text).replaceAll(" ").trim();
  }
}
