package io.hindsight.cli;

import sun.misc.Signal;

/**
 * SIGTERM and SIGINT end a command normally (exit 0 after a clean shutdown) rather than through the
 * JVM's shutdown hooks, which would exit 143.
 */
final class Signals {
  private Signals() {}

  static void onTermination(Runnable action) {
    Signal.handle(new Signal("TERM"), signal -> action.run());
    Signal.handle(new Signal("INT"), signal -> action.run());
  }
}
