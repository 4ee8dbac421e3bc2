package io.hindsight.loadtests;

/**
 * The JVM flags Chronicle Map needs on Java 17, as compile-time constants for {@code @Fork}. They
 * mirror {@code chronicle.jvm.flags} in the service's pom.xml; change both together.
 */
final class ChronicleFlags {
  static final String OPENS_LANG = "--add-opens=java.base/java.lang=ALL-UNNAMED";
  static final String OPENS_REFLECT = "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED";
  static final String EXPORTS_NIO = "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED";
  static final String EXPORTS_REF = "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED";
  static final String EXPORTS_JAVAC =
      "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED";
  static final String NO_ANALYTICS = "-Dchronicle.analytics.disable=true";
  static final String NO_ANNOUNCER = "-Dchronicle.announcer.disable=true";

  private ChronicleFlags() {}
}
