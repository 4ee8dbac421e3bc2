package io.hindsight.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

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
    // The process "dies": its mapping and file lock go, the header still says "open".
    memory.abandon();
  }

  @Test
  void shouldRefuseASecondWriterOnTheSameFile() {
    Path file = newFile();
    try (SketchMemory first = open(file, small())) {
      assertThatThrownBy(() -> open(file, small()))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("already open");
      assertThat(first.samples()).isZero();
    }
  }

  @Override
  protected String kind() {
    return ErrorMemories.OFF_HEAP;
  }
}
