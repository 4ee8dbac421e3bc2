package io.hindsight.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The field-memory contract, plus reopening, crash detection and rebuild signalling. */
class ChronicleFieldMemoryTest extends FieldMemoryContract {

  private static final FieldMemorySettings SETTINGS =
      new FieldMemorySettings("itemId", 3.0, 60_000, 1_000);

  @Override
  protected FieldMemory newMemory(FieldMemorySettings settings) {
    return ChronicleFieldMemory.open(newFile(), settings);
  }

  @Override
  protected int distinctValuesForBoundTest() {
    // A million takes about a minute on a busy build machine; 300,000 still evicts 29 times over.
    return 300_000;
  }

  private static List<Write> samples() {
    return writes(11, 2_000, 400, 1_000_000);
  }

  private static Path headerFile(Path file) {
    return file.resolveSibling(file.getFileName() + ".header");
  }

  @Test
  void shouldReportANewFileAsCreated() {
    try (FieldMemory m = ChronicleFieldMemory.open(newFile(), SETTINGS)) {
      assertThat(m.openOutcome()).isEqualTo(OpenOutcome.CREATED);
      assertThat(m.needsRebuild()).isTrue();
      assertThat(m.size()).isZero();
    }
  }

  @Test
  void shouldRestoreTheContentsAfterACleanClose() {
    Path file = newFile();
    long hash;
    try (FieldMemory m = ChronicleFieldMemory.open(file, SETTINGS)) {
      samples().forEach(w -> w.applyTo(m));
      hash = m.contentHash();
    }
    try (FieldMemory m = ChronicleFieldMemory.open(file, SETTINGS);
        OnHeapFieldMemory fromScratch = new OnHeapFieldMemory(SETTINGS)) {
      samples().forEach(w -> w.applyTo(fromScratch));
      assertThat(m.openOutcome()).isEqualTo(OpenOutcome.RESTORED);
      assertThat(m.needsRebuild()).isFalse();
      assertThat(m.wasRecovered()).isFalse();
      assertThat(m.contentHash()).isEqualTo(hash).isEqualTo(fromScratch.contentHash());
      assertThat(m.sameContents(fromScratch)).isTrue();
      assertThat(m.samples()).isEqualTo(2_000);
      assertThat(m.size()).isEqualTo(fromScratch.size());
      // Writing continues where it left off.
      m.write("user-7", 1.0, 0.1, 2_000_000);
      fromScratch.write("user-7", 1.0, 0.1, 2_000_000);
      assertThat(m.sameContents(fromScratch)).isTrue();
    }
  }

  @Test
  void shouldRestoreTheRecencyOrderAfterACleanClose() {
    Path file = newFile();
    FieldMemorySettings s = SETTINGS.withMaxValues(16);
    try (FieldMemory m = ChronicleFieldMemory.open(file, s)) {
      for (int i = 0; i < 16; i++) {
        m.write("v" + i, 1.0, 0.5, i);
      }
      m.estimate("v0", 100);
    }
    try (FieldMemory m = ChronicleFieldMemory.open(file, s)) {
      m.write("v16", 1.0, 0.5, 200);
      assertThat(m.evictions()).isOne();
      assertThat(m.peek("v0", 300).hasEvidence()).isTrue();
      assertThat(m.peek("v1", 300).hasEvidence()).isFalse();
    }
  }

  @Test
  void shouldRestoreWhenOnlyThePriorChanged() {
    Path file = newFile();
    try (FieldMemory m = ChronicleFieldMemory.open(file, SETTINGS)) {
      samples().forEach(w -> w.applyTo(m));
    }
    try (FieldMemory m = ChronicleFieldMemory.open(file, SETTINGS.withPriorCount(20))) {
      assertThat(m.openOutcome()).isEqualTo(OpenOutcome.RESTORED);
      assertThat(m.samples()).isEqualTo(2_000);
    }
  }

  @Test
  void shouldDiscardAMemoryThatWasNeverClosed() {
    Path file = newFile();
    ChronicleFieldMemory crashed = ChronicleFieldMemory.open(file, SETTINGS);
    samples().forEach(w -> w.applyTo(crashed));
    crashed.abandon();
    try (FieldMemory m = ChronicleFieldMemory.open(file, SETTINGS)) {
      assertThat(m.openOutcome()).isEqualTo(OpenOutcome.DISCARDED_UNCLEAN);
      assertThat(m.wasRecovered()).isTrue();
      assertThat(m.needsRebuild()).isTrue();
      assertEmpty(m);
      // After the rebuild, a clean close is restored again.
      samples().forEach(w -> w.applyTo(m));
    }
    try (FieldMemory m = ChronicleFieldMemory.open(file, SETTINGS)) {
      assertThat(m.openOutcome()).isEqualTo(OpenOutcome.RESTORED);
      assertThat(m.samples()).isEqualTo(2_000);
    }
  }

  @Test
  void shouldDiscardAMemoryWhoseCleanFlagIsCleared() throws IOException {
    Path file = newFile();
    try (FieldMemory m = ChronicleFieldMemory.open(file, SETTINGS)) {
      samples().forEach(w -> w.applyTo(m));
    }
    try (FileChannel channel = FileChannel.open(headerFile(file), StandardOpenOption.WRITE)) {
      ByteBuffer flag = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 0);
      channel.write(flag, FieldFileHeader.CLEAN_OFFSET);
    }
    try (FieldMemory m = ChronicleFieldMemory.open(file, SETTINGS)) {
      assertThat(m.openOutcome()).isEqualTo(OpenOutcome.DISCARDED_UNCLEAN);
      assertEmpty(m);
    }
  }

  @Test
  void shouldStayUncleanAfterAFlushWithoutClose() {
    Path file = newFile();
    ChronicleFieldMemory m = ChronicleFieldMemory.open(file, SETTINGS);
    samples().forEach(w -> w.applyTo(m));
    m.flush();
    m.abandon();
    try (FieldMemory reopened = ChronicleFieldMemory.open(file, SETTINGS)) {
      assertThat(reopened.openOutcome()).isEqualTo(OpenOutcome.DISCARDED_UNCLEAN);
    }
  }

  @Test
  void shouldDiscardAMemoryWrittenWithOtherContentSettings() {
    Path file = newFile();
    try (FieldMemory m = ChronicleFieldMemory.open(file, SETTINGS)) {
      samples().forEach(w -> w.applyTo(m));
    }
    for (FieldMemorySettings other :
        List.of(
            SETTINGS.withHalfLifeMs(1_000),
            SETTINGS.withMaxValues(2_000),
            new FieldMemorySettings("userId", 3.0, 60_000, 1_000))) {
      try (FieldMemory m = ChronicleFieldMemory.open(file, other)) {
        assertThat(m.openOutcome()).isEqualTo(OpenOutcome.DISCARDED_INCOMPATIBLE);
        assertEmpty(m);
        m.write("x", 1.0, 0.0, 0);
      }
    }
  }

  @Test
  void shouldDiscardAHeaderThatIsNotOurs() throws IOException {
    Path file = newFile();
    try (FieldMemory m = ChronicleFieldMemory.open(file, SETTINGS)) {
      samples().forEach(w -> w.applyTo(m));
    }
    try (FileChannel channel = FileChannel.open(headerFile(file), StandardOpenOption.WRITE)) {
      channel.write(ByteBuffer.wrap("garbage!".getBytes(StandardCharsets.US_ASCII)), 0);
    }
    try (FieldMemory m = ChronicleFieldMemory.open(file, SETTINGS)) {
      assertThat(m.openOutcome()).isEqualTo(OpenOutcome.DISCARDED_INCOMPATIBLE);
      assertEmpty(m);
    }
  }

  @Test
  void shouldOpenThroughTheFactoryByName() throws IOException {
    Path dir = Files.createDirectories(directory.resolve("factory"));
    try (FieldMemory m = FieldMemories.open(" Chronicle ", SETTINGS, dir)) {
      assertThat(m).isInstanceOf(ChronicleFieldMemory.class);
      m.write("i1", 1.0, 0.5, 0);
    }
    assertThat(dir.resolve("field-itemId.cm")).exists();
    try (FieldMemory m = FieldMemories.open(FieldMemories.CHRONICLE, SETTINGS, dir)) {
      assertThat(m.openOutcome()).isEqualTo(OpenOutcome.RESTORED);
      assertThat(m.samples()).isOne();
    }
    try (FieldMemory m = FieldMemories.open("onheap", SETTINGS, null)) {
      assertThat(m).isInstanceOf(OnHeapFieldMemory.class);
    }
    assertThatThrownBy(() -> FieldMemories.open("chronicle", SETTINGS, null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> FieldMemories.open("redis", SETTINGS, dir))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("redis");
    assertThat(FieldMemories.fileName("features.genre/main"))
        .startsWith("field-features.genre_main-")
        .endsWith(".cm");
  }

  private static void assertEmpty(FieldMemory m) {
    assertThat(m.size()).isZero();
    assertThat(m.samples()).isZero();
    assertThat(m.evictions()).isZero();
    assertThat(m.contentHash()).isZero();
  }
}
