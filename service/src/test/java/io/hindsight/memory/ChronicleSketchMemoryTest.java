package io.hindsight.memory;

import java.nio.file.Path;

class ChronicleSketchMemoryTest extends PersistedSketchContract {

  @Override
  protected SketchMemory open(Path file, SketchSettings settings) {
    return ChronicleSketchMemory.open(file, settings);
  }

  @Override
  protected Path headerFile(Path file) {
    return file.resolveSibling(file.getFileName() + ".header");
  }

  @Override
  protected void simulateCrash(SketchMemory memory) {
    // A dead process holds no file lock; a live map in this JVM would, so it is dropped unclosed.
    memory.abandon();
  }

  @Override
  protected String kind() {
    return ErrorMemories.CHRONICLE;
  }
}
