package io.hindsight.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
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

  /**
   * The buckets reach the file only when the memory says so (flush, close): the kernel does not
   * write the mapping back by itself, where the next write to a page it wrote waits in the file
   * system.
   */
  @Test
  void shouldWriteTheBucketsToTheFileOnlyWhenFlushed() throws IOException {
    Path file = newFile();
    try (SketchMemory m = open(file, small())) {
      byte[] before = buckets(file);
      TestData.clustered(new SplittableRandom(5), 100, 8, 3, 0, 100_000).forEach(m::write);

      assertThat(buckets(file)).isEqualTo(before);
      m.flush();
      assertThat(buckets(file)).isNotEqualTo(before);
    }
  }

  /**
   * A discarded memory (an expired model version, deleted next) writes nothing back and is never
   * restored; closing it afterwards changes nothing.
   */
  @Test
  void shouldWriteNothingBackWhenDiscarded() throws IOException {
    Path file = newFile();
    SketchMemory m = open(file, small());
    byte[] before = buckets(file);
    TestData.clustered(new SplittableRandom(5), 100, 8, 3, 0, 100_000).forEach(m::write);

    m.discard();
    m.close();

    assertThat(buckets(file)).isEqualTo(before);
    try (SketchMemory reopened = open(file, small())) {
      assertThat(reopened.openOutcome()).isEqualTo(OpenOutcome.DISCARDED_UNCLEAN);
      assertThat(reopened.samples()).isZero();
    }
  }

  private static byte[] buckets(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    return Arrays.copyOfRange(bytes, SketchFileHeader.SIZE, bytes.length);
  }

  @Override
  protected String kind() {
    return ErrorMemories.OFF_HEAP;
  }
}
