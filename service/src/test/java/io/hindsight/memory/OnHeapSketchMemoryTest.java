package io.hindsight.memory;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class OnHeapSketchMemoryTest extends SketchMemoryContract {

  @Override
  protected SketchMemory newMemory(SketchSettings settings) {
    return new OnHeapSketchMemory(settings);
  }

  @Test
  void shouldAlwaysNeedARebuild() {
    SketchMemory m = sketch(small());
    assertThat(m.openOutcome()).isEqualTo(OpenOutcome.CREATED);
    assertThat(m.needsRebuild()).isTrue();
    assertThat(m.wasRecovered()).isFalse();
  }
}
