package io.hindsight.replay;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/** An {@link EventSink} that keeps what it is sent, with the clock reading at each send. */
final class RecordingSink implements EventSink {
  record Sent(ReplayedType type, String key, String value, long sentAtNanos) {}

  private final LongSupplier nanoClock;
  final List<Sent> sent = new ArrayList<>();
  int flushes;
  boolean closed;

  RecordingSink(LongSupplier nanoClock) {
    this.nanoClock = nanoClock;
  }

  RecordingSink() {
    this(() -> 0L);
  }

  @Override
  public void send(ReplayedType type, byte[] key, byte[] value) {
    sent.add(
        new Sent(
            type,
            new String(key, StandardCharsets.UTF_8),
            new String(value, StandardCharsets.UTF_8),
            nanoClock.getAsLong()));
  }

  @Override
  public void flush() {
    flushes++;
  }

  @Override
  public String topic(ReplayedType type) {
    return type.wireName() + "s";
  }

  @Override
  public void close() {
    closed = true;
  }
}
