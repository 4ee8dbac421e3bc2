package io.hindsight.cli;

/** The lines a user (or a script) reads on stdout; logs go to stderr. */
final class Console {
  private Console() {}

  static synchronized void announce(String line) {
    System.out.println(line);
    System.out.flush();
  }
}
