package io.hindsight.errors;

import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hindsight's uncaught-exception policy: bad records never get here (they go to the dead-letter
 * topic), so an exception here is infrastructure trouble; the stream thread is replaced and its
 * tasks resume from the last commit.
 */
public final class ReplaceThreadPolicy implements StreamsUncaughtExceptionHandler {
  private static final Logger log = LoggerFactory.getLogger(ReplaceThreadPolicy.class);

  @Override
  public StreamThreadExceptionResponse handle(Throwable exception) {
    log.error("Stream thread died; replacing it", exception);
    return StreamThreadExceptionResponse.REPLACE_THREAD;
  }
}
