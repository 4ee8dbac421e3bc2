package io.hindsight.memory;

import java.nio.file.Path;

class OffHeapSketchMemoryTest extends PersistedSketchContract {

  @Override
  protected SketchMemory open(Path file, SketchSettings settings) {
    return OffHeapSketchMemory.open(file, settings);
  }

  @Override
  protected Path headerFile(Path file) {
    return file;
  }

  @Override
  protected void simulateCrash(SketchMemory memory) {
    // Nothing: the mapping stays alive and the file stays marked open, exactly as without close().
  }

  @Override
  protected String kind() {
    return ErrorMemories.OFF_HEAP;
  }
}
