package io.hindsight.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Reopening, crash detection and rebuild signalling for the file-backed sketches. */
abstract class PersistedSketchContract extends SketchMemoryContract {

  /** Opens (or creates) the memory stored at {@code file}. */
  protected abstract SketchMemory open(Path file, SketchSettings settings);

  /** The file holding the header with the clean flag. */
  protected abstract Path headerFile(Path file);

  @Override
  protected SketchMemory newMemory(SketchSettings settings) {
    return open(newFile(), settings);
  }

  private static final SketchSettings SETTINGS = small().withHalfLifeMs(60_000);

  private static List<LabelledSample> samples() {
    return TestData.clustered(new SplittableRandom(11), 200, 8, 3, 0, 100_000);
  }

  @Test
  void shouldReportANewFileAsCreated() {
    try (SketchMemory m = open(newFile(), SETTINGS)) {
      assertThat(m.openOutcome()).isEqualTo(OpenOutcome.CREATED);
      assertThat(m.needsRebuild()).isTrue();
      assertThat(m.bucketsInUse()).isZero();
    }
  }

  @Test
  void shouldRestoreTheContentsAfterACleanClose() {
    Path file = newFile();
    long hash;
    long inUse;
    try (SketchMemory m = open(file, SETTINGS)) {
      samples().forEach(m::write);
      hash = m.contentHash();
      inUse = m.bucketsInUse();
    }
    try (SketchMemory m = open(file, SETTINGS);
        OnHeapSketchMemory fromScratch = new OnHeapSketchMemory(SETTINGS)) {
      samples().forEach(fromScratch::write);
      assertThat(m.openOutcome()).isEqualTo(OpenOutcome.RESTORED);
      assertThat(m.needsRebuild()).isFalse();
      assertThat(m.contentHash()).isEqualTo(hash).isEqualTo(fromScratch.contentHash());
      assertThat(m.sameContents(fromScratch)).isTrue();
      assertThat(m.samples()).isEqualTo(200);
      assertThat(m.bucketsInUse()).isEqualTo(inUse);
      // Writing continues where it left off.
      LabelledSample more = new LabelledSample(new float[8], 1, 0.2, 100_000);
      m.write(more);
      fromScratch.write(more);
      assertThat(m.sameContents(fromScratch)).isTrue();
    }
  }

  @Test
  void shouldRestoreWhenOnlyReadSettingsChanged() {
    Path file = newFile();
    try (SketchMemory m = open(file, SETTINGS)) {
      samples().forEach(m::write);
    }
    SketchSettings retuned = SETTINGS.withLambda(0.9).withTau(0.2).withNMin(2).withGamma(0.5);
    try (SketchMemory m = open(file, retuned)) {
      assertThat(m.openOutcome()).isEqualTo(OpenOutcome.RESTORED);
      assertThat(m.samples()).isEqualTo(200);
    }
  }

  @Test
  void shouldDiscardAMemoryThatWasNeverClosed() {
    Path file = newFile();
    SketchMemory crashed = open(file, SETTINGS);
    samples().forEach(crashed::write);
    simulateCrash(crashed);
    try (SketchMemory m = open(file, SETTINGS)) {
      assertThat(m.openOutcome()).isEqualTo(OpenOutcome.DISCARDED_UNCLEAN);
      assertThat(m.wasRecovered()).isTrue();
      assertThat(m.needsRebuild()).isTrue();
      assertEmpty(m);
    }
  }

  @Test
  void shouldDiscardAMemoryWhoseCleanFlagIsCleared() throws IOException {
    Path file = newFile();
    try (SketchMemory m = open(file, SETTINGS)) {
      samples().forEach(m::write);
    }
    setCleanFlag(headerFile(file), 0);
    try (SketchMemory m = open(file, SETTINGS)) {
      assertThat(m.openOutcome()).isEqualTo(OpenOutcome.DISCARDED_UNCLEAN);
      assertEmpty(m);
      // After the rebuild, a clean close is restored again.
      samples().forEach(m::write);
    }
    try (SketchMemory m = open(file, SETTINGS)) {
      assertThat(m.openOutcome()).isEqualTo(OpenOutcome.RESTORED);
      assertThat(m.samples()).isEqualTo(200);
    }
  }

  @Test
  void shouldStayUncleanAfterAFlushWithoutClose() {
    Path file = newFile();
    SketchMemory m = open(file, SETTINGS);
    samples().forEach(m::write);
    m.flush();
    simulateCrash(m);
    try (SketchMemory reopened = open(file, SETTINGS)) {
      assertThat(reopened.openOutcome()).isEqualTo(OpenOutcome.DISCARDED_UNCLEAN);
    }
  }

  @Test
  void shouldDiscardAMemoryWrittenWithOtherContentSettings() {
    Path file = newFile();
    try (SketchMemory m = open(file, SETTINGS)) {
      samples().forEach(m::write);
    }
    try (SketchMemory m = open(file, SETTINGS.withSeed(12345))) {
      assertThat(m.openOutcome()).isEqualTo(OpenOutcome.DISCARDED_INCOMPATIBLE);
      assertEmpty(m);
    }
    try (SketchMemory m = open(file, SETTINGS.withSeed(12345).withDimension(4))) {
      assertThat(m.openOutcome()).isEqualTo(OpenOutcome.DISCARDED_INCOMPATIBLE);
      assertEmpty(m);
    }
  }

  @Test
  void shouldDiscardAHeaderThatIsNotOurs() throws IOException {
    Path file = newFile();
    try (SketchMemory m = open(file, SETTINGS)) {
      samples().forEach(m::write);
    }
    try (FileChannel channel = FileChannel.open(headerFile(file), StandardOpenOption.WRITE)) {
      channel.write(
          ByteBuffer.wrap("garbage!".getBytes(java.nio.charset.StandardCharsets.US_ASCII)), 0);
    }
    try (SketchMemory m = open(file, SETTINGS)) {
      assertThat(m.openOutcome()).isEqualTo(OpenOutcome.DISCARDED_INCOMPATIBLE);
      assertEmpty(m);
    }
  }

  @Test
  void shouldOpenThroughTheFactoryByName() throws IOException {
    Path dir = Files.createDirectories(newFile());
    try (ErrorMemory m = ErrorMemories.open(kind(), SETTINGS, dir)) {
      assertThat(m).isInstanceOf(newMemory(SETTINGS).getClass());
      m.write(new LabelledSample(new float[8], 1, 0.5, 0));
    }
    try (ErrorMemory m = ErrorMemories.open(kind(), SETTINGS, dir)) {
      assertThat(m.openOutcome()).isEqualTo(OpenOutcome.RESTORED);
      assertThat(m.samples()).isOne();
    }
  }

  /** Leaves {@code memory} as a killed process would: not closed. */
  protected abstract void simulateCrash(SketchMemory memory);

  /** The factory name of this layout. */
  protected abstract String kind();

  private static void assertEmpty(SketchMemory m) {
    assertThat(m.samples()).isZero();
    assertThat(m.bucketsInUse()).isZero();
    assertThat(m.contentHash()).isZero();
    try (OnHeapSketchMemory empty = new OnHeapSketchMemory(m.settings())) {
      assertThat(m.sameContents(empty)).isTrue();
    }
  }

  private static void setCleanFlag(Path header, int value) throws IOException {
    try (FileChannel channel = FileChannel.open(header, StandardOpenOption.WRITE)) {
      ByteBuffer flag = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, value);
      channel.write(flag, 16);
    }
  }
}
