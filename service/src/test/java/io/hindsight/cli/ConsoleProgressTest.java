package io.hindsight.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ConsoleProgressTest {
  private final AtomicLong clock = new AtomicLong();
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

  private String output() {
    return bytes.toString(StandardCharsets.UTF_8);
  }

  private void advance(long millis) {
    clock.addAndGet(TimeUnit.MILLISECONDS.toNanos(millis));
  }

  @Test
  void shouldPrintPlainLinesEveryFewSecondsWhenNotOnATerminal() {
    ConsoleProgress progress = new ConsoleProgress(out, false, clock::get);

    progress.producing(0, 1_000, -1);
    advance(1_000);
    progress.producing(100, 1_000, -1);
    assertThat(output()).as("nothing before the period").isEmpty();
    advance(4_000);
    progress.producing(500, 1_000, -1);

    assertThat(output())
        .isEqualTo("producing: 50%, 500/1,000 events, 100 events/s, ETA 5 s\n")
        .doesNotContain("\r");
  }

  @Test
  void shouldRedrawABarInPlaceOnATerminal() {
    ConsoleProgress progress = new ConsoleProgress(out, true, clock::get);

    progress.producing(0, 200, -1);
    advance(500);
    progress.producing(50, 200, -1);
    advance(500);
    progress.producing(100, 200, TimeUnit.SECONDS.toNanos(90));
    progress.finished();

    String[] frames = output().split("\r", -1);
    assertThat(frames[1])
        .isEqualTo("producing [#####...............]  25% 50/200 at 100/s, ETA 2 s");
    assertThat(frames[2]).startsWith("producing [##########..........]  50%").contains("ETA 1:30");
    assertThat(frames).allMatch(frame -> frame.length() <= 79);
    assertThat(output()).doesNotContain("\n").endsWith("\r");
  }

  @Test
  void shouldShowReadingProgressBeforeProducing() {
    ConsoleProgress progress = new ConsoleProgress(out, false, clock::get);

    progress.reading(0, 0, 0);
    advance(5_000);
    progress.reading(50_000, 49_990, 10);

    assertThat(output())
        .isEqualTo("reading: 50,000 lines, 49,990 events, 10 bad, 10,000 lines/s\n");
  }
}
