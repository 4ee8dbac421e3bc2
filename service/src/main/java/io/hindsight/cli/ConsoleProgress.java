package io.hindsight.cli;

import io.hindsight.replay.ReplayProgress;
import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Shows a replay's progress on a console: on a terminal, one status line with a bar, the rate and
 * the time left, redrawn in place several times a second; elsewhere (a file, a pipe, CI logs), a
 * plain line every few seconds. Used from one thread.
 */
final class ConsoleProgress implements ReplayProgress {
  private static final int BAR_WIDTH = 20;

  /** Wider than the terminal, a line wraps and carriage returns can no longer redraw it. */
  private static final int TERMINAL_WIDTH = 79;

  private static final long TERMINAL_REFRESH_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
  private static final long PLAIN_REFRESH_NANOS = TimeUnit.SECONDS.toNanos(5);

  private final PrintStream out;
  private final boolean terminal;
  private final LongSupplier nanoClock;
  private final long refreshNanos;
  private long lastShown;
  private long phaseStart;
  private String phase = "";
  private int lastWidth;

  ConsoleProgress(PrintStream out, boolean terminal, LongSupplier nanoClock) {
    this.out = out;
    this.terminal = terminal;
    this.nanoClock = nanoClock;
    this.refreshNanos = terminal ? TERMINAL_REFRESH_NANOS : PLAIN_REFRESH_NANOS;
    this.lastShown = nanoClock.getAsLong();
  }

  /** A terminal display when stdout is a console, plain lines otherwise. */
  static ConsoleProgress forStandardOutput() {
    return new ConsoleProgress(System.out, System.console() != null, System::nanoTime);
  }

  @Override
  public void reading(long linesRead, long eventsAccepted, long linesRejected) {
    enter("reading");
    if (due()) {
      show(
          String.format(
              Locale.ROOT,
              "reading: %,d lines, %,d events, %,d bad, %s lines/s",
              linesRead,
              eventsAccepted,
              linesRejected,
              rate(linesRead)));
    }
  }

  @Override
  public void producing(long eventsSent, long eventsTotal, long pacedRemainingNanos) {
    bar("producing", eventsSent, eventsTotal, pacedRemainingNanos);
  }

  /** {@code hindsight evaluate}: events run through the topologies so far, of the log's total. */
  void evaluating(long eventsDone, long eventsTotal) {
    bar("evaluating", eventsDone, eventsTotal, -1);
  }

  private void bar(String name, long eventsSent, long eventsTotal, long pacedRemainingNanos) {
    enter(name);
    if (!due()) {
      return;
    }
    double fraction = eventsTotal == 0 ? 1 : (double) eventsSent / eventsTotal;
    long elapsed = nanoClock.getAsLong() - phaseStart;
    long remaining =
        pacedRemainingNanos >= 0
            ? pacedRemainingNanos
            : eventsSent == 0
                ? -1
                : (long) (elapsed * (eventsTotal - eventsSent) / (double) eventsSent);
    String eta = remaining < 0 ? "?" : duration(remaining);
    int percent = (int) (fraction * 100);
    if (terminal) {
      int filled = (int) Math.round(fraction * BAR_WIDTH);
      show(
          String.format(
              Locale.ROOT,
              "%s [%s%s] %3d%% %,d/%,d at %s/s, ETA %s",
              name,
              "#".repeat(filled),
              ".".repeat(BAR_WIDTH - filled),
              percent,
              eventsSent,
              eventsTotal,
              rate(eventsSent),
              eta));
    } else {
      show(
          String.format(
              Locale.ROOT,
              "%s: %d%%, %,d/%,d events, %s events/s, ETA %s",
              name,
              percent,
              eventsSent,
              eventsTotal,
              rate(eventsSent),
              eta));
    }
  }

  @Override
  public void finished() {
    if (terminal && lastWidth > 0) {
      out.print("\r" + " ".repeat(lastWidth) + "\r");
      out.flush();
      lastWidth = 0;
    }
  }

  private void enter(String newPhase) {
    if (!phase.equals(newPhase)) {
      phase = newPhase;
      phaseStart = nanoClock.getAsLong();
      // A rate over the first instants of a phase means nothing: show the first one a period in.
      lastShown = phaseStart;
    }
  }

  private boolean due() {
    long now = nanoClock.getAsLong();
    if (now - lastShown < refreshNanos) {
      return false;
    }
    lastShown = now;
    return true;
  }

  private void show(String line) {
    if (terminal) {
      if (line.length() > TERMINAL_WIDTH) {
        line = line.substring(0, TERMINAL_WIDTH);
      }
      // Pad over the previous, possibly longer, line; no newline so the next redraw replaces it.
      out.print("\r" + line + " ".repeat(Math.max(0, lastWidth - line.length())));
      lastWidth = line.length();
    } else {
      out.println(line);
    }
    out.flush();
  }

  private String rate(long count) {
    long elapsed = nanoClock.getAsLong() - phaseStart;
    if (elapsed <= 0) {
      return "?";
    }
    return String.format(Locale.ROOT, "%,.0f", count * 1e9 / elapsed);
  }

  static String duration(long nanos) {
    long seconds = TimeUnit.NANOSECONDS.toSeconds(nanos + 999_999_999L);
    if (seconds < 60) {
      return seconds + " s";
    }
    if (seconds < 3600) {
      return String.format(Locale.ROOT, "%d:%02d", seconds / 60, seconds % 60);
    }
    return String.format(
        Locale.ROOT, "%d:%02d:%02d", seconds / 3600, (seconds / 60) % 60, seconds % 60);
  }
}
