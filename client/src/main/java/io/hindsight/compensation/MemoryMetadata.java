package io.hindsight.compensation;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * What a memory replica's directory holds besides the memory itself: which model version, the key
 * dimension (needed to reopen it) and the event time of its first sample (for version expiry).
 * Written atomically (write, then rename).
 */
record MemoryMetadata(String name, String modelId, int dimension, long firstWrite) {
  private static final String FILE = "memory.properties";

  static MemoryMetadata read(Path directory) {
    Path file = directory.resolve(FILE);
    if (!Files.exists(file)) {
      return null;
    }
    Properties p = new Properties();
    try (Reader reader = Files.newBufferedReader(file)) {
      p.load(reader);
      return new MemoryMetadata(
          p.getProperty("name"),
          p.getProperty("modelId"),
          Integer.parseInt(p.getProperty("dimension")),
          Long.parseLong(p.getProperty("firstWrite")));
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  void write(Path directory) {
    Properties p = new Properties();
    p.setProperty("name", name);
    p.setProperty("modelId", modelId);
    p.setProperty("dimension", Integer.toString(dimension));
    p.setProperty("firstWrite", Long.toString(firstWrite));
    AtomicFile.write(
        directory.resolve(FILE),
        out -> {
          Writer writer = new OutputStreamWriter(out, StandardCharsets.UTF_8);
          p.store(writer, "Hindsight error memory");
          writer.flush();
        });
  }
}
