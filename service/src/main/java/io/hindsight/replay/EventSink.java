package io.hindsight.replay;

import java.io.Closeable;

/**
 * Where a replay sends its events, in the order given. Sending may be asynchronous: {@link
 * #flush()} returns once every event sent so far is durably delivered, or throws if any was not.
 */
public interface EventSink extends Closeable {

  /**
   * Sends one event to its type's topic.
   *
   * @throws IllegalStateException if an earlier event could not be delivered
   */
  void send(ReplayedType type, byte[] key, byte[] value);

  /**
   * Waits until everything sent is delivered.
   *
   * @throws IllegalStateException naming the first failure if any event could not be delivered
   */
  void flush();

  /** The name of the topic events of this type go to, for reports. */
  String topic(ReplayedType type);

  @Override
  void close();
}
