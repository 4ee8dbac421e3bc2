package io.hindsight.loadtests.harness;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTest {

  @Test
  void shouldShowOnlyTheOptionsThatChangeWhatWasMeasured() {
    assertThat(
            Report.options(
                "--scenario steady --guarantee at_least_once --set a.b=1 --rate 100 --results r"
                    + " --readme none --drain-seconds 5 --keep-work-dir --duration 60"))
        .isEqualTo(" `--set a.b=1 --rate 100 --duration 60`");
    assertThat(Report.options("--scenario steady --guarantee exactly_once_v2")).isEmpty();
  }

  /** The README's results table keeps the latest run of each scenario and guarantee. */
  @Test
  void shouldReplaceTheRowOfTheSameScenarioAndGuaranteeAndKeepTheOthers(@TempDir Path dir)
      throws Exception {
    Path readme = dir.resolve("README.md");
    Files.writeString(
        readme,
        String.join(
            "\n",
            "# t",
            Report.TABLE_START,
            "| date | machine | scenario | guarantee | offered |",
            "|---|---|---|---|---:|",
            "| d1 | m | steady | exactly_once_v2 | 1 |",
            "| d2 | m | steady | at_least_once | 2 |",
            "| d3 | m | burst | exactly_once_v2 | 3 |",
            Report.TABLE_END,
            "after"));

    Report.appendRow(readme, "| d4 | m | steady | exactly_once_v2 | 4 |");

    assertThat(Files.readAllLines(readme))
        .containsExactly(
            "# t",
            Report.TABLE_START,
            "| date | machine | scenario | guarantee | offered |",
            "|---|---|---|---|---:|",
            "| d2 | m | steady | at_least_once | 2 |",
            "| d3 | m | burst | exactly_once_v2 | 3 |",
            "| d4 | m | steady | exactly_once_v2 | 4 |",
            Report.TABLE_END,
            "after");
  }
}
