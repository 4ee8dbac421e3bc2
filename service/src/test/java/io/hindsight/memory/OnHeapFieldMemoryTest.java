package io.hindsight.memory;

class OnHeapFieldMemoryTest extends FieldMemoryContract {

  @Override
  protected FieldMemory newMemory(FieldMemorySettings settings) {
    return new OnHeapFieldMemory(settings);
  }
}
