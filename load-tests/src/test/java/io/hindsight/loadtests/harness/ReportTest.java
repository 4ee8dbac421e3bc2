package io.hindsight.loadtests.harness;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

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
}
