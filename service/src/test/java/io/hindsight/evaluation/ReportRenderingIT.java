package io.hindsight.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.hindsight.Hindsight;
import io.hindsight.testing.Directories;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** report.html opened in headless Chromium, as a person would: every chart is drawn. */
class ReportRenderingIT {
  private Path dir;

  @AfterEach
  void cleanUp() {
    Directories.delete(dir);
  }

  @Test
  void shouldDrawEveryChartInHeadlessChromium() throws Exception {
    String chromium = Files.exists(Path.of("/usr/bin/chromium")) ? "/usr/bin/chromium" : null;
    assumeTrue(chromium != null, "chromium is installed by .ci/run");
    dir = Files.createTempDirectory("hindsight-report");
    Path log = dir.resolve("events.jsonl");
    SyntheticLog.write(log, 1_500);
    assertThat(
            Hindsight.commandLine()
                .execute(
                    "evaluate",
                    "--verbose",
                    "--input",
                    log.toString(),
                    "--report",
                    dir.resolve("report").toString(),
                    "--slots",
                    "5",
                    "--set",
                    "compensation.attribution.window.ms=30000",
                    "--set",
                    "rewrite.min.source.users=2",
                    "--set",
                    "rewrite.min.transition.users=2"))
        .isZero();
    Path html = dir.resolve("report/report.html");
    assertThat(Files.readString(html))
        .as("self-contained: nothing loaded from the network")
        .doesNotContainPattern("(src|href)\\s*=\\s*[\"']?(https?:)?//")
        .doesNotContain("@import")
        .doesNotContain("url(");
    Process browser =
        new ProcessBuilder(
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--user-data-dir=" + dir.resolve("profile"),
                "--dump-dom",
                html.toUri().toString())
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    String dom = new String(browser.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(browser.waitFor(60, TimeUnit.SECONDS)).isTrue();
    for (String chart :
        new String[] {
          "chart-auc", "chart-logloss", "chart-calibration", "chart-defects", "chart-rules"
        }) {
      int at = dom.indexOf("data-chart=\"" + chart + "\"");
      assertThat(at).as("%s drawn", chart).isPositive();
      int end = dom.indexOf("</svg>", at);
      assertThat(dom.substring(at, end)).as("%s has a data line", chart).contains("<polyline");
    }
  }
}
