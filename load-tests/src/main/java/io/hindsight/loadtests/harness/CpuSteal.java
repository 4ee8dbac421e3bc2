package io.hindsight.loadtests.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The share of this machine's CPU time that its hypervisor gave to someone else (steal, from
 * {@code /proc/stat}) since the previous reading. On a shared virtual machine a run can lose a third
 * of its CPU for minutes, and every figure of that stretch with it: results carry it beside them.
 */
final class CpuSteal {
  private long lastSteal = -1;
  private long lastTotal;

  /** Percent of CPU time stolen since the previous call; NaN on the first or without /proc/stat. */
  synchronized double percentSinceLast() {
    long[] now = read();
    if (now == null) {
      return Double.NaN;
    }
    double percent =
        lastSteal < 0 || now[1] == lastTotal
            ? Double.NaN
            : 100.0 * (now[0] - lastSteal) / (now[1] - lastTotal);
    lastSteal = now[0];
    lastTotal = now[1];
    return percent;
  }

  /** {steal, total} ticks of all CPUs, or null. */
  private static long[] read() {
    try {
      String[] fields = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
      long total = 0;
      // cpu user nice system idle iowait irq softirq steal (guest time is already in user)
      for (int i = 1; i <= 8 && i < fields.length; i++) {
        total += Long.parseLong(fields[i]);
      }
      return fields.length > 8 ? new long[] {Long.parseLong(fields[8]), total} : null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}
