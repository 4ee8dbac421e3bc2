package io.hindsight.export;

import io.hindsight.events.Rewrite;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Rule files search engines load, one line per target with every source rewritten to it: {@code
 * source; other source => target}. Output is deterministic (targets and sources sorted). A rule
 * whose text would change the meaning of the line (a separator, a comment or wildcard marker, a
 * line break) is not written but reported in {@link RenderedRules#skipped()}. Hindsight's sources
 * are normalized utterances (no punctuation), so this is rare.
 */
public enum RuleFileFormat {
  /**
   * Querqy's Replace Rewriter: {@code a; b => c}, {@code #} comments. Alternatives are separated by
   * {@code ;}, so the rewriter needs {@code "inputDelimiter": ";"} (Querqy's default is a tab);
   * Querqy treats a leading or trailing {@code *} as a wildcard.
   */
  QUERQY_REPLACE("querqy", "; ") {
    @Override
    String problem(String source, String target) {
      if (source.contains(";")) {
        return "';' in the source";
      }
      if (source.startsWith("*") || source.endsWith("*")) {
        return "'*' at an end of the source is a Querqy wildcard";
      }
      return null;
    }

    @Override
    String header(String origin) {
      return "# Hindsight rewrite rules from "
          + origin
          + " for Querqy's Replace Rewriter (configure \"inputDelimiter\": \";\")\n";
    }
  },

  /**
   * Solr / Elasticsearch synonym files ({@code synonyms_path} or a synonyms set) with explicit
   * mappings: {@code a, b => c}, {@code #} comments.
   */
  ELASTICSEARCH_SYNONYMS("elasticsearch-synonyms", ", ") {
    @Override
    String problem(String source, String target) {
      if (source.contains(",") || target.contains(",")) {
        return "',' separates synonyms";
      }
      if (source.contains("\\") || target.contains("\\")) {
        return "'\\' escapes in synonym files";
      }
      return null;
    }

    @Override
    String header(String origin) {
      return "# Hindsight rewrite rules from "
          + origin
          + " as Solr/Elasticsearch synonyms (explicit mappings: sources => target)\n";
    }
  };

  private final String cliName;
  private final String sourceSeparator;

  RuleFileFormat(String cliName, String sourceSeparator) {
    this.cliName = cliName;
    this.sourceSeparator = sourceSeparator;
  }

  /** The name on the command line: {@code querqy} or {@code elasticsearch-synonyms}. */
  public String cliName() {
    return cliName;
  }

  /**
   * Why this format cannot express a rule, null when it can (checks common to all formats aside).
   */
  abstract String problem(String source, String target);

  abstract String header(String origin);

  /**
   * The rule file for {@code rules}.
   *
   * @param origin where the rules came from, for the header comment (e.g. the topic)
   */
  public RenderedRules render(Collection<Rewrite> rules, String origin) {
    Map<String, Set<String>> sourcesByTarget = new TreeMap<>();
    List<String> skipped = new ArrayList<>();
    int written = 0;
    for (Rewrite rule : rules) {
      String source = rule.source().strip();
      String target = rule.target().strip();
      String problem = commonProblem(source, target);
      if (problem == null) {
        problem = problem(source, target);
      }
      if (problem != null) {
        skipped.add("'" + rule.source() + "' => '" + rule.target() + "': " + problem);
        continue;
      }
      if (sourcesByTarget.computeIfAbsent(target, t -> new TreeSet<>()).add(source)) {
        written++;
      }
    }
    StringBuilder text = new StringBuilder(header(origin));
    text.append("# ").append(written).append(" live rule(s)\n");
    sourcesByTarget.forEach(
        (target, sources) ->
            text.append(String.join(sourceSeparator, sources))
                .append(" => ")
                .append(target)
                .append('\n'));
    return new RenderedRules(text.toString(), written, sourcesByTarget.size(), skipped);
  }

  private static String commonProblem(String source, String target) {
    if (source.isEmpty() || target.isEmpty()) {
      return "empty source or target";
    }
    if (source.contains("=>") || target.contains("=>")) {
      return "'=>' separates source and target";
    }
    if (source.startsWith("#")) {
      return "a line starting with '#' is a comment";
    }
    if (hasLineBreak(source) || hasLineBreak(target)) {
      return "a line break";
    }
    return null;
  }

  private static boolean hasLineBreak(String text) {
    return text.indexOf('\n') >= 0 || text.indexOf('\r') >= 0;
  }

  /** The format named {@code name} on the command line. */
  public static RuleFileFormat fromCliName(String name) {
    for (RuleFileFormat format : values()) {
      if (format.cliName.equals(name)) {
        return format;
      }
    }
    throw new IllegalArgumentException(
        "format must be querqy or elasticsearch-synonyms, not '" + name + "'");
  }

  /**
   * A rendered rule file.
   *
   * @param text the file's content, UTF-8 when written
   * @param rules rules written
   * @param lines rule lines written (one per target)
   * @param skipped rules the format cannot express, with the reason
   */
  public record RenderedRules(String text, int rules, int lines, List<String> skipped) {
    public RenderedRules {
      skipped = List.copyOf(skipped);
    }
  }
}
