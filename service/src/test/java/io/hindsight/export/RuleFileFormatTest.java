package io.hindsight.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hindsight.events.Rewrite;
import java.util.List;
import org.junit.jupiter.api.Test;

class RuleFileFormatTest {

  private static Rewrite rule(String source, String target) {
    return new Rewrite(source, target, 0.9, 0.1, 0.8, 12, 3, 1_700_000_000_000L);
  }

  @Test
  void shouldWriteOneQuerqyReplaceLinePerTargetWithSourcesSeparatedBySemicolons() {
    RuleFileFormat.RenderedRules rendered =
        RuleFileFormat.QUERQY_REPLACE.render(
            List.of(
                rule("play jaz", "play jazz"),
                rule("wheather today", "weather today"),
                rule("paly jazz", "play jazz")),
            "topic rewrites");

    assertThat(rendered.text())
        .isEqualTo(
            "# Hindsight rewrite rules from topic rewrites for Querqy's Replace Rewriter"
                + " (configure \"inputDelimiter\": \";\")\n"
                + "# 3 live rule(s)\n"
                + "paly jazz; play jaz => play jazz\n"
                + "wheather today => weather today\n");
    assertThat(rendered.rules()).isEqualTo(3);
    assertThat(rendered.lines()).isEqualTo(2);
    assertThat(rendered.skipped()).isEmpty();
  }

  @Test
  void shouldWriteExplicitSynonymMappingsForElasticsearch() {
    RuleFileFormat.RenderedRules rendered =
        RuleFileFormat.ELASTICSEARCH_SYNONYMS.render(
            List.of(rule("play jaz", "play jazz"), rule("paly jazz", "play jazz")), "topic r");

    assertThat(rendered.text().lines().filter(line -> !line.startsWith("#")))
        .containsExactly("paly jazz, play jaz => play jazz");
  }

  @Test
  void shouldSkipRulesTheFormatCannotExpressAndSayWhy() {
    List<Rewrite> rules =
        List.of(
            rule("a; b", "c"),
            rule("*phones", "phone"),
            rule("x => y", "z"),
            rule("# hash", "hash"),
            rule("one\ntwo", "three"),
            rule("fine", "good"));

    RuleFileFormat.RenderedRules querqy = RuleFileFormat.QUERQY_REPLACE.render(rules, "t");

    assertThat(querqy.rules()).isEqualTo(1);
    assertThat(querqy.text()).endsWith("fine => good\n");
    assertThat(querqy.skipped())
        .hasSize(5)
        .anyMatch(reason -> reason.contains("';' in the source"))
        .anyMatch(reason -> reason.contains("wildcard"))
        .anyMatch(reason -> reason.contains("'=>'"))
        .anyMatch(reason -> reason.contains("comment"))
        .anyMatch(reason -> reason.contains("line break"));

    RuleFileFormat.RenderedRules synonyms =
        RuleFileFormat.ELASTICSEARCH_SYNONYMS.render(
            List.of(rule("a, b", "c"), rule("*phones", "phone")), "t");
    assertThat(synonyms.rules()).as("'*' means nothing to a synonym file").isEqualTo(1);
    assertThat(synonyms.skipped()).singleElement().asString().contains("','");
  }

  @Test
  void shouldNameFormatsAsTheCommandLineDoes() {
    assertThat(RuleFileFormat.fromCliName("querqy")).isEqualTo(RuleFileFormat.QUERQY_REPLACE);
    assertThat(RuleFileFormat.fromCliName("elasticsearch-synonyms"))
        .isEqualTo(RuleFileFormat.ELASTICSEARCH_SYNONYMS);
    assertThatThrownBy(() -> RuleFileFormat.fromCliName("solr"))
        .hasMessageContaining("querqy or elasticsearch-synonyms");
  }
}
