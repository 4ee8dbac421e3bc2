package io.hindsight;

public final class Hindsight {
  public static void main(String[] args) {}
}
