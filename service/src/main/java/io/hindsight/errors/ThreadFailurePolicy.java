package io.hindsight.errors;

import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hindsight's uncaught-exception policy. Bad records never get here (they go to the dead-letter
 * topic), so an exception here is infrastructure trouble. A dead stream thread is replaced and its
 * tasks resume from the last commit. The global thread cannot be replaced (Kafka Streams would shut
 * the client down anyway, and throw while doing it), so its death shuts the client down, for the
 * service to close it and start a fresh one ({@code io.hindsight.recovery.SupervisedStreams}).
 */
public final class ThreadFailurePolicy implements StreamsUncaughtExceptionHandler {
  private static final Logger log = LoggerFactory.getLogger(ThreadFailurePolicy.class);

  /** Kafka Streams names its global thread {@code <client id>-GlobalStreamThread}. */
  private static final String GLOBAL_THREAD_SUFFIX = "-GlobalStreamThread";

  /**
   * Called on the dying thread, which is how a global-thread failure is told apart: the handler is
   * given the exception only.
   */
  @Override
  public StreamThreadExceptionResponse handle(Throwable exception) {
    return respond(Thread.currentThread().getName(), exception);
  }

  /** The response to {@code exception} having killed the thread named {@code threadName}. */
  public StreamThreadExceptionResponse respond(String threadName, Throwable exception) {
    if (isGlobalThread(threadName)) {
      log.error(
          "Global thread {} died; shutting the client down to restart it", threadName, exception);
      return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    }
    log.error("Stream thread {} died; replacing it", threadName, exception);
    return StreamThreadExceptionResponse.REPLACE_THREAD;
  }

  public static boolean isGlobalThread(String threadName) {
    return threadName.endsWith(GLOBAL_THREAD_SUFFIX);
  }
}
