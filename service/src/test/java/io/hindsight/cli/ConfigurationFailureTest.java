package io.hindsight.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.Hindsight;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** Bad configuration stops {@code run} before anything starts, naming the key. */
class ConfigurationFailureTest {

  @ParameterizedTest
  @CsvSource({
    "--set, processing.guarantee=exactly_thrice, processing.guarantee",
    "--set, compensation.attribution.window.ms=-1, compensation.attribution.window.ms",
    "--http-port, eighty, http.port",
    "--broker-port, 99999, broker.port",
  })
  void shouldFailAtStartNamingTheKey(String flag, String value, String key) {
    CommandLine commandLine = Hindsight.commandLine();
    StringWriter err = new StringWriter();
    commandLine.setErr(new PrintWriter(err));
    int exit = commandLine.execute("run", flag, value);
    assertThat(exit).isEqualTo(2);
    assertThat(err.toString()).contains("Invalid configuration").contains(key);
  }
}
