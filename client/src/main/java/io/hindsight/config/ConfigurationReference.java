package io.hindsight.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;

/**
 * The configuration reference, {@code docs/configuration.md}, generated from {@link
 * HindsightConfig#DEFINITION}: one table per group of keys, in definition order. A test keeps the
 * file equal to {@link #markdown()}.
 */
public final class ConfigurationReference {
  /** Where the reference lives, relative to the project root. */
  public static final String FILE = "docs/configuration.md";

  /** Groups by key prefix, in the order they appear; keys matching none are the service's own. */
  private static final Map<String, String> GROUPS = new LinkedHashMap<>();

  static {
    GROUPS.put("", "Service, Kafka Streams and local data");
    GROUPS.put("http.", "HTTP endpoint (operations and lookups)");
    GROUPS.put("topic.", "Topics Hindsight creates");
    GROUPS.put("validation.", "Validation of incoming events");
    GROUPS.put("compensation.", "Error compensation");
    GROUPS.put("rewrite.", "Query rewriting");
  }

  private ConfigurationReference() {}

  public static String markdown() {
    StringBuilder out = new StringBuilder();
    out.append("# Configuration reference\n\n");
    out.append(
        "<!-- Generated from HindsightConfig by ConfigurationReference; do not edit. Regenerate:"
            + " mvn -B -q test -Dtest=ConfigurationReferenceTest -Dhindsight.regenerate=true -->\n\n");
    out.append(
        """
        Every key has a type, a default and a validator; an unknown key or an invalid value stops \
        Hindsight at start with a message naming the key.

        Sources, lowest precedence first:

        1. the defaults below;
        2. a properties file, `--config FILE` (e.g. `streams/compensation/application.properties`);
        3. the environment: `HINDSIGHT_` and the key upper-cased with `.` as `_` \
        (`compensation.lambda` → `HINDSIGHT_COMPENSATION_LAMBDA`);
        4. command-line flags: `--set key=value`, and `--bootstrap-servers`, `--broker-port`, \
        `--http-port`, `--data-dir`.

        Any Kafka client or Kafka Streams setting passes through with the prefix `kafka.` \
        (`kafka.security.protocol=SASL_SSL`, `HINDSIGHT_KAFKA_SECURITY_PROTOCOL`).
        """);
    Map<String, List<ConfigDef.ConfigKey>> grouped = new LinkedHashMap<>();
    GROUPS.keySet().forEach(prefix -> grouped.put(prefix, new ArrayList<>()));
    for (ConfigDef.ConfigKey key : HindsightConfig.DEFINITION.configKeys().values()) {
      String group =
          GROUPS.keySet().stream()
              .filter(prefix -> !prefix.isEmpty() && key.name.startsWith(prefix))
              .findFirst()
              .orElse("");
      grouped.get(group).add(key);
    }
    grouped.forEach(
        (prefix, keys) -> {
          if (keys.isEmpty()) {
            return;
          }
          out.append("\n## ").append(GROUPS.get(prefix)).append("\n\n");
          out.append("| key | type | default | valid values | description |\n");
          out.append("|---|---|---|---|---|\n");
          keys.forEach(key -> out.append(row(key)));
        });
    return out.toString();
  }

  private static String row(ConfigDef.ConfigKey key) {
    Object def = key.defaultValue;
    String shown =
        def == null
            ? ""
            : def instanceof List<?> l
                ? String.join(",", l.stream().map(String::valueOf).toList())
                : def.toString();
    return "| `"
        + key.name
        + "` | "
        + key.type.name().toLowerCase(Locale.ROOT)
        + " | "
        + (shown.isEmpty() ? "(empty)" : "`" + shown + "`")
        + " | "
        + (key.validator == null ? "" : cell(key.validator.toString()))
        + " | "
        + cell(key.documentation)
        + " |\n";
  }

  private static String cell(String text) {
    return text.replace("|", "\\|");
  }
}
