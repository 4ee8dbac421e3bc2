package io.hindsight.cli;

import io.hindsight.StreamsApp;
import io.hindsight.compensation.CompensationApp;
import io.hindsight.config.HindsightConfig;
import io.hindsight.rewrite.RewriteApp;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;

/** Which topologies a command runs. */
public final class Apps {
  private Apps() {}

  /** The {@code --app} choices. */
  public enum Selection {
    compensation,
    rewrites,
    all
  }

  public static List<StreamsApp> create(
      HindsightConfig config, MeterRegistry registry, Selection selection) {
    List<StreamsApp> apps = new ArrayList<>();
    if (selection == Selection.compensation || selection == Selection.all) {
      apps.add(new CompensationApp(config, registry));
    }
    if (selection == Selection.rewrites || selection == Selection.all) {
      apps.add(new RewriteApp(config));
    }
    return apps;
  }
}
